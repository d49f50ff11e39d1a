// Small browser helpers of the dashboard (no inline script: keeps a strict Content-Security-Policy possible).
window.registry = {
  // Marks the page once the interactive circuit is up; browser tests wait for it before clicking.
  markInteractive() {
    document.documentElement.dataset.interactive = "true";
  },
  getTheme() {
    return localStorage.getItem("registry.theme");
  },
  setTheme(value) {
    localStorage.setItem("registry.theme", value);
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
