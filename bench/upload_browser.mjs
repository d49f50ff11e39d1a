// Browser side of bench/upload.sh: signs in to the dashboard in headless Debian Chromium, opens a version's
// Files tab, chooses one file and times until the tab reports it uploaded. Prints {"seconds": …}.
// Usage: node upload_browser.mjs BASE_URL EMAIL PASSWORD MODEL FILE
import { statfsSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, email, password, model, file] = process.argv.slice(2);
if (!file || !base.startsWith("http://127.0.0.1:")) {
  console.error("usage: node upload_browser.mjs http://127.0.0.1:PORT EMAIL PASSWORD MODEL FILE");
  process.exit(2);
}

// --disable-dev-shm-usage is for containers with a 64 MB /dev/shm: it moves Chromium's shared memory (which
// carries the upload's bytes between its processes) to files in /tmp, on disk. Use it only where /dev/shm is small.
let smallShm = true;
try {
  const shm = statfsSync("/dev/shm");
  smallShm = shm.blocks * shm.bsize < 1024 ** 3;
} catch {
  // No /dev/shm: keep the safe default.
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", ...(smallShm ? ["--disable-dev-shm-usage"] : []), "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  page.setDefaultTimeout(300_000);
  await page.goto("/Account/Login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(url => !url.pathname.includes("/Account/Login"));
  await page.goto(`/models/${model}/versions/1`);
  await page.waitForFunction(() => document.documentElement.dataset.interactive === "true");
  await page.getByRole("tab", { name: "Files" }).click();
  await page.waitForSelector("[data-uploader=ready]", { state: "attached" });

  // Marks in the page (not part of the product): when the bytes start and finish going out, and the response.
  await page.evaluate(() => {
    const marks = window.__uploadMarks = {};
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (body) {
      marks.send = performance.now();
      this.upload.addEventListener("load", () => { marks.sent = performance.now(); });
      this.addEventListener("load", () => { marks.response = performance.now(); });
      return send.call(this, body);
    };
  });

  const started = performance.now();
  await page.getByLabel("Choose files to upload").setInputFiles(file);
  await page.getByText("Uploaded 1 of 1 files").waitFor();
  const seconds = (performance.now() - started) / 1000;
  const failed = await page.getByText("failed").count();
  const marks = await page.evaluate(() => window.__uploadMarks);
  console.log(JSON.stringify({
    seconds,
    failed,
    sending: (marks.sent - marks.send) / 1000,
    serverAfterLastByte: (marks.response - marks.sent) / 1000,
  }));
} finally {
  await browser.close();
}
