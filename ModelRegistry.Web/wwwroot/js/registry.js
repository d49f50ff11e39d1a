// Small browser helpers of the dashboard (no inline script: keeps a strict Content-Security-Policy possible).
window.registry = {
  // Marks the page once the interactive circuit is up; browser tests wait for it before clicking.
  markInteractive() {
    document.documentElement.dataset.interactive = "true";
  },
  // The theme lives in a cookie so the server renders the page in it from the first byte.
  setTheme(value) {
    document.cookie = `registry.theme=${value === "dark" ? "dark" : "light"}; path=/; max-age=31536000; samesite=lax`;
  },
  // Copies text (a file's SHA-256) to the clipboard; false where the browser does not allow it (plain http off localhost).
  async copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  },
};

// The "Skip to content" link moves focus to <main> itself: with <base href="/"> a plain "#main-content" link would be
// taken by Blazor's navigation for "/#main-content" (the home page). Capture phase, so it runs before that.
document.addEventListener("click", event => {
  const link = event.target instanceof Element ? event.target.closest("a.skip-link") : null;
  const main = document.getElementById("main-content");
  if (link && main) {
    event.preventDefault();
    event.stopPropagation();
    main.focus();
    main.scrollIntoView();
  }
}, true);
