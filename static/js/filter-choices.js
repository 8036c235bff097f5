/*
 * Type-ahead for a list of checkboxes: an <input data-filter-choices="ID"> hides the choices inside #ID whose text
 * does not contain what is typed (ignoring case). Ticked boxes stay shown, so nothing chosen disappears. Without
 * this script the input still works as a plain GET search.
 */
document.querySelectorAll("[data-filter-choices]").forEach((input) => {
  const list = document.getElementById(input.dataset.filterChoices);
  if (!list) return;
  const choices = Array.from(list.querySelectorAll("input[type=checkbox]")).map((box) => ({
    box, row: box.closest("div") || box.parentElement,
    text: (box.closest("label") || box.parentElement).textContent.toLocaleLowerCase(),
  }));
  const filter = () => {
    const wanted = input.value.trim().toLocaleLowerCase();
    choices.forEach(({box, row, text}) => { row.hidden = Boolean(wanted) && !box.checked && !text.includes(wanted); });
  };
  input.addEventListener("input", filter);
});
