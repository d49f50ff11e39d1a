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
