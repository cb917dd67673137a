// Alert rows are focusable and open with Enter or Space, as a click does: Tab reaches each row, and the row's click handler opens its dialog.
export function openRowsWithKeyboard(host) {
    if (!host || host.dataset.keyboardRows) return;
    host.dataset.keyboardRows = "1";
    const mark = () => host.querySelectorAll("tbody tr.alert-row").forEach(tr => {
        if (!tr.hasAttribute("tabindex")) tr.tabIndex = 0;
    });
    mark();
    new MutationObserver(mark).observe(host, { childList: true, subtree: true });
    host.addEventListener("keydown", e => {
        const tr = e.target instanceof HTMLElement && e.target.matches("tr.alert-row") ? e.target : null;
        if (tr && (e.key === "Enter" || e.key === " ")) {
            e.preventDefault();
            tr.click();
        }
    });
}
