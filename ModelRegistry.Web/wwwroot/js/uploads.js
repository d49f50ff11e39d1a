// Uploads for a version's Files tab. The browser sends each file's bytes straight to the registry, authenticated by the
// dashboard cookie plus the page's antiforgery token in a header; nothing goes through the Blazor circuit. The component
// only hears about progress, a few times a second.
// - Files up to RESUMABLE_ABOVE go in one PUT /api/v1/models/{name}/versions/{n}/files/{path} (XHR, for progress).
// - Larger ones go through the resumable upload protocol (tus 1.0) with tus-js-client 4.3.1, served from our own
//   origin (wwwroot/lib, restored from npm by the build): a dropped connection resumes where the registry kept the
//   bytes, and so does a reload — tus-js-client keeps the upload's URL in localStorage under a fingerprint of the file
//   and its target, so choosing the same file again continues it. Cancelling ends the upload on the server (DELETE).

const MAX_FILES = 5000;          // per drop or selection
const MAX_DEPTH = 32;            // folder nesting walked on a drop
const MAX_READ_BATCHES = 10000;  // readEntries() calls per folder (Chromium hands out 100 entries a call)
const CONCURRENCY = 2;
const PROGRESS_MS = 250;
const RESUMABLE_ABOVE = 64 * 1024 * 1024;  // bytes; larger files are sent resumably
const TUS_CHUNK = 128 * 1024 * 1024;       // one PATCH at most this long (proxies limit request bodies)

let tusLoading;

// tus-js-client, loaded once on the first large file, as an ordinary script from our origin (CSP: script-src 'self').
function tusLibrary() {
  if (window.tus) {
    return Promise.resolve(window.tus);
  }

  tusLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL("../lib/tus-js-client/tus.min.js", import.meta.url).href;
    script.async = true;
    script.onload = () => resolve(window.tus);
    script.onerror = () => {
      tusLoading = undefined;
      reject(new Error("The resumable upload library could not be loaded."));
    };
    document.head.appendChild(script);
  });
  return tusLoading;
}

/**
 * Wires a drop zone and two file inputs (files, folder) to the upload queue.
 * @param {HTMLElement} zone
 * @param {HTMLInputElement} filesInput
 * @param {HTMLInputElement} folderInput
 * @param {any} dotnet DotNetObjectReference with OnQueued, OnProgress, OnFinished
 * @param {{url: string, uploadsUrl: string, tokenHeader: string, token: string}} options
 */
export function attach(zone, filesInput, folderInput, dotnet, options) {
  const queue = [];
  const active = new Map();
  let nextId = 1;
  let timer = null;
  let disposed = false;

  const stop = e => { e.preventDefault(); e.stopPropagation(); };
  const onDragOver = e => { stop(e); e.dataTransfer.dropEffect = "copy"; zone.classList.add("dragging"); };
  const onDragLeave = e => { stop(e); if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragging"); };
  const onDrop = async e => {
    stop(e);
    zone.classList.remove("dragging");
    try {
      enqueue(await filesFromDrop(e.dataTransfer));
    } catch (err) {
      await dotnet.invokeMethodAsync("OnRejected", String(err && err.message || err));
    }
  };
  const onFiles = () => {
    enqueue([...filesInput.files].slice(0, MAX_FILES).map(f => ({ file: f, path: f.name })));
    filesInput.value = "";
  };
  const onFolder = () => {
    enqueue(stripSharedFolder([...folderInput.files].slice(0, MAX_FILES)
      .map(f => ({ file: f, path: f.webkitRelativePath || f.name }))));
    folderInput.value = "";
  };
  const onBeforeUnload = e => {
    if (active.size > 0 || queue.length > 0) { e.preventDefault(); e.returnValue = ""; }
  };

  zone.addEventListener("dragenter", onDragOver);
  zone.addEventListener("dragover", onDragOver);
  zone.addEventListener("dragleave", onDragLeave);
  zone.addEventListener("drop", onDrop);
  filesInput.addEventListener("change", onFiles);
  folderInput.addEventListener("change", onFolder);
  window.addEventListener("beforeunload", onBeforeUnload);
  zone.dataset.uploader = "ready";

  function enqueue(entries) {
    if (disposed || entries.length === 0) return;
    const items = entries.map(e => ({ id: nextId++, file: e.file, path: e.path, size: e.file.size }));
    queue.push(...items);
    dotnet.invokeMethodAsync("OnQueued", items.map(i => ({ id: i.id, path: i.path, size: i.size })));
    pump();
  }

  function pump() {
    while (!disposed && active.size < CONCURRENCY && queue.length > 0) {
      start(queue.shift());
    }
    if (active.size > 0 && timer === null) {
      timer = setInterval(report, PROGRESS_MS);
    }
  }

  function start(item) {
    if (item.size > RESUMABLE_ABOVE) {
      startResumable(item);
      return;
    }

    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    item.loaded = 0;
    active.set(item.id, item);
    xhr.open("PUT", options.url + "/" + item.path.split("/").map(encodeURIComponent).join("/"));
    xhr.setRequestHeader(options.tokenHeader, options.token);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = e => { item.loaded = e.loaded; };
    xhr.onload = () => finish(item, xhr.status, xhr.status < 300 ? "" : problemOf(xhr.status, xhr.responseText));
    xhr.onerror = () => finish(item, 0, "The connection failed.");
    xhr.onabort = () => finish(item, -1, "Cancelled.");
    xhr.send(item.file);
  }

  function startResumable(item) {
    item.loaded = 0;
    active.set(item.id, item);
    tusLibrary().then(tus => {
      if (disposed || !active.has(item.id)) return;
      const upload = new tus.Upload(item.file, {
        endpoint: options.uploadsUrl,
        headers: { [options.tokenHeader]: options.token },
        metadata: { path: item.path },
        chunkSize: TUS_CHUNK,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        removeFingerprintOnSuccess: true,
        // The same file to the same path of the same version resumes; the file's name alone would not tell targets apart.
        fingerprint: (file, opts) => Promise.resolve(
          ["model-registry", opts.endpoint, item.path, file.name, file.size, file.lastModified].join("|")),
        onProgress: sent => { item.loaded = sent; },
        onSuccess: () => finish(item, 204, ""),
        onError: err => {
          const response = err && err.originalResponse;
          finish(item, response ? response.getStatus() : 0, response ? problemOf(response.getStatus(), response.getBody()) : "The connection failed.");
        },
      });
      item.tus = upload;
      return upload.findPreviousUploads().then(previous => {
        if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
        if (!disposed && active.has(item.id)) upload.start();
      });
    }).catch(err => finish(item, 0, String(err && err.message || err)));
  }

  function finish(item, status, message) {
    if (!active.delete(item.id)) return;
    item.xhr = null;
    if (!disposed) {
      dotnet.invokeMethodAsync("OnFinished", item.id, status, message);
    }
    pump();
    if (active.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }

  // Cancelling a resumable upload also ends it on the server (tus termination), so its bytes go at once.
  function cancelActive(item) {
    if (!item) return;
    if (item.xhr) {
      item.xhr.abort();
      return;
    }

    const upload = item.tus;
    finish(item, -1, "Cancelled.");
    upload?.abort(true).catch(() => { /* it expires on the server anyway */ });
  }

  function report() {
    if (disposed || active.size === 0) return;
    dotnet.invokeMethodAsync("OnProgress", [...active.values()].map(i => ({ id: i.id, loaded: i.loaded })));
  }

  return {
    cancel(id) {
      const waiting = queue.findIndex(i => i.id === id);
      if (waiting >= 0) {
        queue.splice(waiting, 1);
        dotnet.invokeMethodAsync("OnFinished", id, -1, "Cancelled.");
        return;
      }
      cancelActive(active.get(id));
    },
    cancelAll() {
      for (const item of queue.splice(0)) {
        dotnet.invokeMethodAsync("OnFinished", item.id, -1, "Cancelled.");
      }
      for (const item of [...active.values()]) cancelActive(item);
    },
    dispose() {
      disposed = true;
      queue.length = 0;
      // A resumable upload is only paused: its bytes stay on the server until it expires, and choosing the file again resumes.
      for (const item of active.values()) {
        item.xhr?.abort();
        item.tus?.abort(false);
      }
      active.clear();
      if (timer !== null) clearInterval(timer);
      zone.removeEventListener("dragenter", onDragOver);
      zone.removeEventListener("dragover", onDragOver);
      zone.removeEventListener("dragleave", onDragLeave);
      zone.removeEventListener("drop", onDrop);
      filesInput.removeEventListener("change", onFiles);
      folderInput.removeEventListener("change", onFolder);
      window.removeEventListener("beforeunload", onBeforeUnload);
    },
  };
}

function problemOf(status, text) {
  try {
    const body = JSON.parse(text);
    return body.detail || body.title || `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}

// Files and folders dropped on the zone, walked with an explicit stack (no recursion), bounded in count and depth.
async function filesFromDrop(dataTransfer) {
  const roots = [...dataTransfer.items].filter(i => i.kind === "file").map(i => i.webkitGetAsEntry?.()).filter(Boolean);
  if (roots.length === 0) {
    return [...dataTransfer.files].slice(0, MAX_FILES).map(f => ({ file: f, path: f.name }));
  }

  const found = [];
  const stack = roots.map(entry => ({ entry, depth: 0 }));
  const folderDropped = roots.length === 1 && roots[0].isDirectory;
  while (stack.length > 0 && found.length < MAX_FILES) {
    const { entry, depth } = stack.pop();
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      found.push({ file, path: entry.fullPath.replace(/^\/+/, "") });
    } else if (entry.isDirectory && depth < MAX_DEPTH) {
      const reader = entry.createReader();
      for (let batch = 0; batch < MAX_READ_BATCHES; batch++) {
        const entries = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (entries.length === 0) break;
        for (const child of entries) stack.push({ entry: child, depth: depth + 1 });
      }
    }
  }

  found.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return folderDropped ? stripSharedFolder(found) : found;
}

// A dropped or chosen model folder uploads its contents: "llama-3-8b/config.json" becomes "config.json".
function stripSharedFolder(entries) {
  if (entries.length === 0) return entries;
  const first = entries[0].path.split("/")[0];
  const shared = entries.every(e => e.path.includes("/") && e.path.split("/")[0] === first);
  return shared ? entries.map(e => ({ file: e.file, path: e.path.slice(first.length + 1) })) : entries;
}
