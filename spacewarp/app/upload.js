// The explorer's upload control: the chosen file goes to the server by HTTP POST
// (streamed, capped there), not over the websocket. The server shows the outcome
// beside this control; this element only says that a file is on its way.
export function render({ model, el }) {
  const input = document.createElement("input");
  input.type = "file";
  input.accept = model.accept;
  input.className = "sw-upload-input";
  input.style.width = "100%";
  const note = document.createElement("div");
  note.className = "sw-upload-note";
  note.style.fontSize = "12px";
  note.style.opacity = "0.75";
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    note.textContent = `sending ${file.name} (${(file.size / 1e6).toFixed(1)} MB)\u2026`;
    const url = new URL(model.url, window.location.href);
    url.searchParams.set("token", model.token);
    url.searchParams.set("name", file.name);
    try {
      const reply = await fetch(url, { method: "POST", body: file,
        headers: { "Content-Type": "application/octet-stream" } });
      note.textContent = reply.ok ? `${file.name} received` : "";
    } catch (err) {
      note.textContent = "";  // refused before it was read: the message is below
    }
    input.value = "";
  });
  el.append(input, note);
}
