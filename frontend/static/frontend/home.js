// Partnership decisions on the home page (admins of the deciding side).
const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value;

for (const button of document.querySelectorAll("[data-accept]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    const response = await fetch(`/api/partnerships/${button.dataset.accept}/accept/`, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) location.reload();
    else {
      button.disabled = false;
      const body = await response.json().catch(() => ({}));
      button.title = body.error?.detail ?? "Could not accept";
    }
  });
}
