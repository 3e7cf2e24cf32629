import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every kind of message recert sends a holder (#29); each has `<kind>.subject`, `.txt` and `.html` in every language. */
export const MESSAGE_KINDS = ['window-open', 'reminder', 'expired', 'revoked', 'suspended', 'reinstated', 'override-applied'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export function isMessageKind(value: string): value is MessageKind {
  return (MESSAGE_KINDS as readonly string[]).includes(value);
}

type Compiled = (context: object) => string;
interface LanguageTemplates {
  subject: Record<MessageKind, Compiled>;
  text: Record<MessageKind, Compiled>;
  html: Record<MessageKind, Compiled>;
}

export interface RenderedMessage {
  language: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The message templates of MESSAGE_TEMPLATES_DIR (default `config/messages`), one folder per language (#29):
 * Handlebars, so a program changes wording and layout without code. `.subject` and `.txt` are rendered as they are;
 * `.html` escapes every `{{value}}` (holder names, reasons and URLs included). `_<name>.txt` / `_<name>.html` are
 * partials (`{{> name}}`) of that language; an HTML template falls back to the text partial (escaped). Checked
 * whole at start-up: a missing file or a template that does not compile stops the process, not a send.
 */
export class MessageTemplates {
  private constructor(
    private readonly byLanguage: Map<string, LanguageTemplates>,
    readonly defaultLanguage: string,
  ) {}

  static load(dir: string, defaultLanguage: string): MessageTemplates {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`MESSAGE_TEMPLATES_DIR is not a folder: ${dir}`);
    const byLanguage = new Map<string, LanguageTemplates>();
    for (const language of readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory())) {
      byLanguage.set(language, loadLanguage(join(dir, language)));
    }
    const found = [...byLanguage.keys()].find((language) => language.toLowerCase() === defaultLanguage.toLowerCase());
    if (!found) throw new Error(`MESSAGE_DEFAULT_LANGUAGE ${defaultLanguage} has no folder in ${dir}`);
    return new MessageTemplates(byLanguage, found);
  }

  languages(): string[] {
    return [...this.byLanguage.keys()];
  }

  /** The folder's language for a tag: exact (case-insensitive), then without its last subtag, then the default. */
  languageFor(tag: string | null | undefined): string {
    const known = this.languages();
    for (let candidate = tag ?? ''; candidate.length > 0; candidate = candidate.slice(0, Math.max(0, candidate.lastIndexOf('-')))) {
      const found = known.find((language) => language.toLowerCase() === candidate.toLowerCase());
      if (found) return found;
    }
    return this.defaultLanguage;
  }

  render(kind: MessageKind, language: string, context: Record<string, unknown>): RenderedMessage {
    const chosen = this.languageFor(language);
    const templates = this.byLanguage.get(chosen) as LanguageTemplates;
    const values = { ...context, language: chosen };
    // A subject is one line: a template's trailing newline or a value's line break must not start the body.
    const subject = templates.subject[kind](values).replace(/\s+/g, ' ').trim();
    return {
      language: chosen,
      subject,
      text: normaliseText(templates.text[kind](values)),
      html: templates.html[kind]({ ...values, subject }),
    };
  }
}

function loadLanguage(dir: string): LanguageTemplates {
  const files = readdirSync(dir);
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  // Two environments: text (nothing escaped) and HTML (every value escaped), each with this language's partials.
  const text = Handlebars.create();
  const html = Handlebars.create();
  for (const file of files.filter((name) => name.startsWith('_'))) {
    const match = /^_([\w-]+)\.(txt|html)$/.exec(file);
    if (!match) continue;
    // The pattern has both groups: the defaults never apply.
    const [, name = '', format = ''] = match;
    const source = read(file).replace(/\n$/, '');
    if (format === 'txt') text.registerPartial(name, source);
    // The HTML partial wins over the text one of the same name, whatever the order of the listing.
    if (format === 'html' || !files.includes(`_${name}.html`)) html.registerPartial(name, source);
  }
  const compile = (env: typeof Handlebars, file: string, escape: boolean): Compiled => {
    if (!files.includes(file)) throw new Error(`message templates: ${join(dir, file)} is missing`);
    try {
      const template = env.compile(read(file), { noEscape: !escape, ignoreStandalone: true });
      // Compile now (Handlebars compiles lazily): a syntax error stops start-up, not a send.
      template({});
      return (context) => template(context);
    } catch (error) {
      throw new Error(`message templates: ${join(dir, file)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const each = (format: 'subject' | 'txt' | 'html', env: typeof Handlebars, escape: boolean): Record<MessageKind, Compiled> =>
    Object.fromEntries(MESSAGE_KINDS.map((kind) => [kind, compile(env, `${kind}.${format}`, escape)])) as Record<MessageKind, Compiled>;
  return { subject: each('subject', text, false), text: each('txt', text, false), html: each('html', html, true) };
}

/** CRLF line ends, at most one blank line in a row, no trailing blanks: what an empty `{{#if}}` leaves is tidied. */
function normaliseText(text: string): string {
  return `${text
    .replace(/\r\n/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`.replace(/\n/g, '\r\n');
}
