// Earful's own script: the live feed, the search preview count, and "select all".
// Post text only ever arrives as HTML the server escaped, or is set with textContent.
"use strict";

function startLiveFeed() {
  const marker = document.getElementById("live");
  const list = document.getElementById("feed");
  if (!marker || !list || marker.dataset.off || !window.EventSource) return;
  let arrivedCount = 0;
  const connect = () => {
    const source = new EventSource(marker.dataset.stream);
    source.addEventListener("posts", (event) => {
      const data = JSON.parse(event.data);
      // Oldest first, each put on top: the newest ends up first. A post already shown is skipped
      // (after a reconnect the server may send a few again).
      data.items.forEach((item) => {
        if (list.querySelector('li[data-post-id="' + item.id + '"]')) return;
        list.insertAdjacentHTML("afterbegin", item.html);
        arrivedCount += 1;
      });
      if (arrivedCount) {
        marker.textContent = arrivedCount + " new post" + (arrivedCount === 1 ? "" : "s") + " arrived";
        marker.hidden = false;
        const empty = document.getElementById("empty");
        if (empty) empty.remove();
      }
      // Reconnect from where the server says everything before has been sent.
      marker.dataset.stream = marker.dataset.stream.replace(/after_id=\d+/, "after_id=" + data.floor);
    });
    // The server ends each stream after a few minutes; reconnect from the latest point, not the first.
    source.onerror = () => {
      source.close();
      setTimeout(connect, 3000);
    };
  };
  connect();
}

function startPreviewCount() {
  const form = document.getElementById("filters");
  const box = document.getElementById("q");
  const preview = document.getElementById("preview");
  if (!form || !box || !preview) return;
  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked;
    const params = new URLSearchParams(new FormData(form));
    const response = await fetch(form.dataset.countUrl + "?" + params.toString(), {credentials: "same-origin"});
    const data = await response.json();
    if (mine !== asked) return;  // a newer question is on its way
    if (data.error) {
      preview.textContent = data.error;
    } else {
      const n = data.capped ? "10,000+" : data.count.toLocaleString("en");
      preview.textContent = n + " matching post" + (data.count === 1 ? "" : "s");
    }
  };
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  if (preview.dataset.countNow) refresh();
}

function startSelectAll() {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll('input[name="post_ids"]').forEach((box) => { box.checked = all.checked; });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  startLiveFeed();
  startPreviewCount();
  startSelectAll();
});
