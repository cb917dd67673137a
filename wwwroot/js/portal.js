// The portal's few browser calls, loaded as a module through JS interop (the Content-Security-Policy allows no inline handlers).
export function print() {
    window.print();
}

export function browserTimeZone() {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
