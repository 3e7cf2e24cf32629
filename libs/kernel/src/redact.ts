/** Replaces e-mail addresses in free text (an SMTP server's refusal, an error message) before it is kept or logged. */
export function redactEmailAddresses(text: string): string {
  return text.replace(/[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g, '[email]');
}
