/** A text field of a submitted form: "" when it is absent (or is a file, which is not text). */
export function formText(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
}
