/** Identifier shapes the HTTP edge accepts: safe in stream names, URLs and logs. */
export const PROFILE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
export const CERTIFICATION_CODE = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/**
 * Free text shown to people (a display name): no control characters (C0, DEL, C1) and no bidirectional
 * controls (LRM, RLM, ALM, embeddings, overrides, isolates) that could disguise it; line separators too (#16.16).
 * Joiners (ZWJ, ZWNJ) stay: some scripts and emoji need them.
 */
export const DISPLAY_TEXT = /^[^\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]*$/u;
