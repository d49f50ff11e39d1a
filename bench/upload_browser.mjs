// Browser side of bench/upload.sh: signs in to the dashboard in headless Debian Chromium, opens a version's
// Files tab, chooses one file and times until the tab reports it uploaded. Prints {"seconds": …}.
// Usage: node upload_browser.mjs BASE_URL EMAIL PASSWORD MODEL FILE
import { statfsSync } from "node:fs";
import http from "node:http";
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
    document.addEventListener("change", () => { marks.change ??= performance.now(); }, true);
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (body) {
      marks.send = performance.now();
      this.upload.addEventListener("load", () => { marks.sent = performance.now(); });
      this.addEventListener("load", () => { marks.response = performance.now(); });
      return send.call(this, body);
    };
  });

  // Timed inside the page, on the browser's clock: from the moment the file input reports the chosen file to
  // the moment the tab shows it uploaded (a MutationObserver marks it). Polling from here instead would add up
  // to Playwright's 500 ms poll interval to every round.
  await page.evaluate(() => {
    const marks = window.__uploadMarks;
    new MutationObserver((_, observer) => {
      if (document.body.textContent.includes("Uploaded 1 of 1 files")) {
        marks.shown = performance.now();
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await page.getByLabel("Choose files to upload").setInputFiles(file);
  await page.waitForFunction(() => window.__uploadMarks.shown !== undefined);
  const failed = await page.getByText("failed").count();
  const marks = await page.evaluate(() => window.__uploadMarks);
  // Baseline in the same browser: the same file sent by a bare XHR to a local server that only counts and
  // discards the bytes — what Chromium itself can push through an upload on this machine right now.
  const sink = http.createServer((req, res) => {
    if (req.method !== "PUT") {
      res.setHeader("Content-Type", "text/html");
      res.end("<!doctype html><input type=file aria-label=sink>");
      return;
    }
    let n = 0;
    req.on("data", chunk => { n += chunk.length; });
    req.on("end", () => res.end(String(n)));
  });
  await new Promise(resolve => sink.listen(0, "127.0.0.1", resolve));
  let chromiumAlone;
  try {
    const bare = await context.newPage();
    await bare.goto(`http://127.0.0.1:${sink.address().port}/`);
    await bare.getByLabel("sink").setInputFiles(file);
    chromiumAlone = await bare.evaluate(() => new Promise((resolve, reject) => {
      const input = document.querySelector("input");
      const xhr = new XMLHttpRequest();
      const t0 = performance.now();
      xhr.open("PUT", "/sink");
      xhr.onload = () => xhr.responseText === String(input.files[0].size)
        ? resolve((performance.now() - t0) / 1000) : reject(new Error("sink got " + xhr.responseText));
      xhr.onerror = () => reject(new Error("sink upload failed"));
      xhr.send(input.files[0]);
    }));
  } finally {
    sink.close();
  }

  console.log(JSON.stringify({
    chromiumAlone,
    seconds: (marks.shown - marks.change) / 1000,
    failed,
    beforeSend: (marks.send - marks.change) / 1000,
    sending: (marks.sent - marks.send) / 1000,
    serverAfterLastByte: (marks.response - marks.sent) / 1000,
  }));
} finally {
  await browser.close();
}
