// The keying station's page: a clip, a frame, its views drawn from raw RGBA, the frame options
// (each change keys the frame again on the station, which reruns the network only when an
// option it depends on changed), and keying jobs followed by server-sent events.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);

const state = {
  clip: null,      // the clip's description from /api/clip
  frames: [],
  frame: null,
  zoom: 1,         // CSS pixels per image pixel; null: fit
  fit: true,
  width: 0, height: 0,
  version: 0,      // the current preview's number (the page's test reads it)
  pending: null,   // a preview asked for while one runs: only the last is sent
  busy: false,
  events: null,    // the job's EventSource
};

async function api(path, body) {
  const headers = {};
  if (token) headers["X-Token"] = token;
  const init = { headers };
  if (body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let message = res.statusText;
    try { message = (await res.json()).error || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

function say(text, isError) {
  const li = document.createElement("li");
  li.textContent = text;
  if (isError) li.className = "error";
  $("messages").prepend(li);
  while ($("messages").children.length > 30) $("messages").lastChild.remove();
}

function settings() {
  return {
    frame: {
      despill_strength: parseFloat($("despill").value),
      auto_despeckle: $("despeckle").checked,
      despeckle_size: parseInt($("despeckle-size").value || "0", 10),
      refiner_scale: parseFloat($("refiner-scale").value),
      screen: $("screen").value,
    },
    hint: {
      erode: parseFloat($("hint-erode").value),
      blur: parseFloat($("hint-blur").value),
      min_island: parseFloat($("hint-min-island").value),
    },
  };
}

function showSettings(s) {
  $("despill").value = s.frame.despill_strength;
  $("despeckle").checked = s.frame.auto_despeckle;
  $("despeckle-size").value = s.frame.despeckle_size;
  $("refiner-scale").value = s.frame.refiner_scale;
  $("screen").value = s.frame.screen;
  $("hint-erode").value = s.hint.erode;
  $("hint-blur").value = s.hint.blur;
  $("hint-min-island").value = s.hint.min_island;
  for (const id of ["despill", "refiner-scale", "hint-erode", "hint-blur", "hint-min-island"]) {
    $(id + "-value").textContent = $(id).value;
  }
}

async function loadClips() {
  const { clips } = await (await api("/api/clips")).json();
  const select = $("clip");
  select.innerHTML = "";
  for (const c of clips) {
    const option = document.createElement("option");
    option.value = c.name;
    option.textContent = `${c.name} (${c.frames} frames)`;
    select.appendChild(option);
  }
  if (clips.length === 0) say("no clips under the served folder (a clip is a folder with Input inside)", true);
  else await openClip(clips[0].name);
}

async function openClip(name) {
  const clip = await (await api("/api/clip?clip=" + encodeURIComponent(name))).json();
  state.clip = clip;
  state.frames = clip.frames;
  $("clip").value = name;
  $("frame-slider").max = Math.max(0, clip.frames.length - 1);
  $("frame-slider").value = 0;
  $("first").value = clip.frames[0];
  $("last").value = clip.frames[clip.frames.length - 1];
  $("hint-source").textContent = clip.hint === "automatic"
    ? "The hint is made from the plate." : `The clip's hint: ${clip.hint} (these settings are not used).`;
  $("clip-info").textContent = `${clip.frames.length} frames, ${clip.frames[0]}–${clip.frames[clip.frames.length - 1]}`;
  showSettings(clip.settings);
  state.fit = true;
  followJob(clip.job_running);
  await setFrame(0);
}

async function setFrame(index) {
  state.frame = state.frames[index];
  $("frame-slider").value = index;
  $("frame-label").textContent = `frame ${state.frame}`;
  await preview();
}

// Keys the current frame with the current settings; changes made meanwhile are sent after.
async function preview() {
  if (!state.clip) return;
  if (state.busy) { state.pending = true; return; }
  state.busy = true;
  try {
    do {
      state.pending = false;
      const t0 = performance.now();
      const res = await (await api("/api/preview", { clip: state.clip.name, frame: state.frame, settings: settings() })).json();
      state.width = res.width;
      state.height = res.height;
      await draw();
      state.version += 1;
      const shown = (performance.now() - t0) / 1000;
      $("timing").textContent = (res.network_run ? `network ${res.network_s.toFixed(2)} s, ` : "network cached, ") +
        `finish ${res.finish_s.toFixed(2)} s, shown in ${shown.toFixed(2)} s (${res.screen} screen)`;
      document.body.dataset.version = state.version;
      document.body.dataset.shownSeconds = shown.toFixed(3);
      for (const w of res.warnings) say(w, false);
    } while (state.pending);
  } catch (e) {
    say(e.message, true);
  } finally {
    state.busy = false;
  }
}

async function fetchView(which) {
  const res = await api(`/api/view?clip=${encodeURIComponent(state.clip.name)}&which=${which}`);
  const w = parseInt(res.headers.get("X-Width"), 10), h = parseInt(res.headers.get("X-Height"), 10);
  return new ImageData(new Uint8ClampedArray(await res.arrayBuffer()), w, h);
}

async function draw() {
  const a = $("view-a").value, b = $("view-b").value;
  const [imageA, imageB] = await Promise.all([fetchView(a), b ? fetchView(b) : null]);
  for (const [canvas, image] of [[$("canvas-a"), imageA], [$("canvas-b"), imageB]]) {
    canvas.style.display = image ? "block" : "none";
    if (!image) continue;
    canvas.width = image.width;
    canvas.height = image.height;
    canvas.getContext("2d").putImageData(image, 0, 0);
  }
  layout();
}

function layout() {
  const holder = $("canvas-holder"), stage = $("stage");
  if (state.fit && state.width) {
    state.zoom = Math.min(stage.clientWidth / state.width, stage.clientHeight / state.height);
  }
  holder.style.width = state.width + "px";
  holder.style.height = state.height + "px";
  // The scaled size, for the stage's scrollbars (a transform takes no room of its own).
  $("canvas-sizer").style.width = Math.floor(state.width * state.zoom) + "px";
  $("canvas-sizer").style.height = Math.floor(state.height * state.zoom) + "px";
  holder.style.transform = `scale(${state.zoom})`;
  holder.className = $("background").value === "checker" ? "checker" : "";
  holder.style.backgroundColor = $("background").value === "colour" ? $("background-colour").value : "";
  $("zoom-label").textContent = `${Math.round(state.zoom * 100)} %`;
  // The wipe: B covers the image's left part, up to the wipe's position.
  const cut = parseInt($("wipe").value, 10);
  $("canvas-b").style.clipPath = `inset(0 ${100 - cut}% 0 0)`;
  $("wipe-line").style.display = $("view-b").value ? "block" : "none";
  $("wipe-line").style.left = (state.width * cut / 100) + "px";
}

function setZoom(zoom) {
  state.fit = false;
  state.zoom = Math.min(32, Math.max(0.05, zoom));
  layout();
}

// A keying job's progress: events from the station until the job ends.
function followJob(running) {
  if (state.events) { state.events.close(); state.events = null; }
  $("cancel").disabled = !running;
  $("key").disabled = running;
  if (!running) return;
  const url = `/api/events?clip=${encodeURIComponent(state.clip.name)}` + (token ? `&token=${encodeURIComponent(token)}` : "");
  const events = new EventSource(url);
  state.events = events;
  events.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.total) { $("progress").max = e.total; $("progress").value = e.done; }
    if (e.kind === "frame_done") $("job-status").textContent = `keyed frame ${e.frame} (${e.done} of ${e.total})`;
    if (e.kind === "frame_skipped") $("job-status").textContent = `frame ${e.frame} already keyed`;
    if (e.kind === "frame_failed" || e.kind === "warning") say(e.message, e.kind === "frame_failed");
    if (e.kind === "ended") {
      events.close();
      state.events = null;
      $("cancel").disabled = true;
      $("key").disabled = false;
      const text = e.ok ? `done: ${e.keyed} keyed, ${e.failed} failed in ${e.seconds.toFixed(1)} s`
                        : (e.cancelled ? "cancelled; the finished frames are kept" : "failed: " + e.message);
      $("job-status").textContent = text;
      document.body.dataset.job = e.ok ? "done" : (e.cancelled ? "cancelled" : "failed");
      say(text, !e.ok && !e.cancelled);
    }
  };
}

async function keyRange() {
  try {
    document.body.dataset.job = "running";
    $("progress").value = 0;
    await api("/api/jobs", { clip: state.clip.name, first: parseInt($("first").value, 10), last: parseInt($("last").value, 10) });
    $("job-status").textContent = "keying…";
    followJob(true);
  } catch (e) {
    document.body.dataset.job = "failed";
    say(e.message, true);
  }
}

function wire() {
  $("clip").addEventListener("change", () => openClip($("clip").value).catch((e) => say(e.message, true)));
  $("frame-slider").addEventListener("input", () => setFrame(parseInt($("frame-slider").value, 10)));
  $("prev").addEventListener("click", () => setFrame(Math.max(0, parseInt($("frame-slider").value, 10) - 1)));
  $("next").addEventListener("click", () => setFrame(Math.min(state.frames.length - 1, parseInt($("frame-slider").value, 10) + 1)));
  for (const id of ["despill", "despeckle", "despeckle-size", "refiner-scale", "screen", "hint-erode", "hint-blur", "hint-min-island"]) {
    $(id).addEventListener("input", () => {
      if ($(id + "-value")) $(id + "-value").textContent = $(id).value;
      preview();
    });
  }
  for (const id of ["view-a", "view-b"]) $(id).addEventListener("change", () => draw().catch((e) => say(e.message, true)));
  for (const id of ["background", "background-colour", "wipe"]) $(id).addEventListener("input", layout);
  $("zoom-fit").addEventListener("click", () => { state.fit = true; layout(); });
  $("zoom-pixels").addEventListener("click", () => setZoom(1));
  $("zoom-in").addEventListener("click", () => setZoom(state.zoom * 2));
  $("zoom-out").addEventListener("click", () => setZoom(state.zoom / 2));
  $("stage").addEventListener("wheel", (e) => { e.preventDefault(); setZoom(state.zoom * (e.deltaY < 0 ? 1.25 : 0.8)); });
  window.addEventListener("resize", layout);
  $("key").addEventListener("click", keyRange);
  $("cancel").addEventListener("click", () => api("/api/cancel", { clip: state.clip.name }).catch((e) => say(e.message, true)));
}

wire();
loadClips().catch((e) => say(e.message, true));
