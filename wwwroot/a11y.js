// Keyboard and scroll affordances MudBlazor does not give on its own; plain DOM, so it works on every page without a circuit call.
(() => {
    const rowSelector = '[data-row-open] tbody tr';

    // The skip link: move focus to the page content (a plain #hash would resolve against <base href="/"> and leave the page).
    document.addEventListener('click', e => {
        const skip = e.target.closest && e.target.closest('a.skip-link');
        if (!skip) return;
        e.preventDefault();
        const main = document.getElementById('main-content');
        if (main) { main.focus(); main.scrollIntoView(); }
    });

    // Rows that open something (a dialog, a detail page) on click open with Enter or Space too.
    document.addEventListener('keydown', e => {
        if ((e.key !== 'Enter' && e.key !== ' ') || !e.target.matches || !e.target.matches(rowSelector)) return;
        e.preventDefault();
        e.target.click();
    });

    // Tables wider than their card: focusable (keyboard users can scroll them) and marked, so CSS shows an edge shadow.
    const mark = () => {
        for (const row of document.querySelectorAll(rowSelector + ':not([tabindex])'))
            if (row.querySelector('td') && !row.classList.contains('mud-table-empty-row')) row.tabIndex = 0;
        for (const box of document.querySelectorAll('.mud-table-container')) {
            const scrolls = box.scrollWidth > box.clientWidth + 1;
            box.classList.toggle('x-scrolls', scrolls);
            if (scrolls && !box.hasAttribute('tabindex')) {
                box.tabIndex = 0;
                box.setAttribute('role', 'region');
                box.setAttribute('aria-label', 'Table, scrolls sideways');
            }
        }
    };
    let queued = false;
    const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; mark(); }); } };
    new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
    window.addEventListener('resize', schedule);
    schedule();
})();
