// Earful's own script: the live feed, the search preview count, "select all", and the alert rule form.
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
    // The session ended (signed out elsewhere, deactivated): stop, and say so.
    source.addEventListener("ended", () => {
      source.close();
      marker.textContent = "Live updates stopped: your session ended or your role changed. Reload the page.";
      marker.hidden = false;
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
      if (data.complete === false && data.count === 0) {
        preview.textContent = "Matches not counted: this filter is slow to count, the feed below shows them";
      } else {
        // A count cut short by its time limit says how many were found by then: "1,200+".
        const n = data.capped ? "10,000+" : data.count.toLocaleString("en") + (data.complete === false ? "+" : "");
        preview.textContent = n + " matching post" + (data.count === 1 && data.complete !== false ? "" : "s");
      }
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

// The alert rule form shows only the fields of the kind chosen; hidden ones are disabled, so they
// send nothing. A spike is found per category, so subcategories cannot be chosen for one.
function startRuleForm() {
  const kind = document.getElementById("rule-kind");
  if (!kind) return;
  const form = kind.form;
  const show = () => {
    form.querySelectorAll("[data-kinds]").forEach((part) => {
      const off = !part.dataset.kinds.split(" ").includes(kind.value);
      part.hidden = off;
      part.querySelectorAll("input, select").forEach((field) => { field.disabled = off; });
    });
    form.querySelectorAll("option[data-sub]").forEach((option) => {
      option.disabled = kind.value === "spike";
      if (option.disabled && option.selected) option.parentElement.value = "";
    });
  };
  kind.addEventListener("change", show);
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  startLiveFeed();
  startPreviewCount();
  startSelectAll();
  startRuleForm();
});
