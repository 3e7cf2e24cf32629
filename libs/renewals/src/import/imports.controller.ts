import { Controller, HttpCode, PayloadTooLargeException, Post, Req, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Roles, ValidationProblem } from '@recert/kernel';
import { formatOf, IMPORT_FORMATS, ImportFormat } from './import-format';
import type { ImportReport } from './import-report';
import { IMPORT_SYSTEM } from './import-rows';
import { Importer } from './importer';

/** Largest NDJSON or CSV body `POST /admin/imports` takes; bigger files go through `npm run import` (resumable). */
export const IMPORT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

interface ImportRequest {
  format: ImportFormat;
  /** Bytes as sent (text bodies), decoded line by line as the CLI decodes a file (#22.8), or the JSON form's text. */
  content: string | Buffer;
  dryRun: boolean;
  system: string;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ValidationProblem([{ field, message: 'true or false' }]);
}

function system(value: unknown): string {
  if (value === undefined) return 'legacy';
  if (typeof value !== 'string' || !IMPORT_SYSTEM.test(value))
    throw new ValidationProblem([{ field: 'system', message: '1-32 letters, digits, _ or -, starting with a letter or digit' }]);
  return value;
}

function format(value: unknown, fallback: ImportFormat | undefined): ImportFormat {
  const chosen = value ?? fallback;
  if (typeof chosen !== 'string' || !IMPORT_FORMATS.includes(chosen as ImportFormat))
    throw new ValidationProblem([{ field: 'format', message: 'ndjson or csv' }]);
  return chosen as ImportFormat;
}

/** The raw body of a text request, refused past the limit before a row is decided (nothing half-imported). */
async function rawBody(request: Request): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > IMPORT_BODY_LIMIT_BYTES) throw new PayloadTooLargeException();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > IMPORT_BODY_LIMIT_BYTES) throw new PayloadTooLargeException();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/imports')
export class ImportsController {
  constructor(private readonly importer: Importer) {}

  @ApiOperation({
    summary: 'Bulk import of holders and holdings with their history (#14.3), or its dry run',
    description:
      'Body: NDJSON (`application/x-ndjson`) or CSV (`text/csv`, a header line) with `?dryRun=&system=`, or JSON `{ format, content, dryRun, system }` (within BODY_LIMIT). ' +
      'Rows: `{ kind: "holder", sourceId, accountId, accountType?, displayName, email }` and `{ kind: "holding", sourceId, holder, certificationCode, earnedAt, renewedAt?, expiresAt? }`. ' +
      'Each row is validated (VALIDATION_FAILED with its line) and decided by the same rules as live commands (R39-R41); a source id imported before imports nothing (R39). ' +
      'Answers 200 with the report: `counts` by outcome (imported, already-imported, refused, invalid), `byCode`, and the first rows of each outcome with line numbers and codes. ' +
      'A dry run writes nothing and answers the report the real run gives (#14.2, R42). Text bodies up to 8 MiB; larger files: `npm run import`.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson', 'text/csv')
  @ApiQuery({ name: 'dryRun', required: false, description: 'true: decide every row, write nothing' })
  @ApiQuery({ name: 'system', required: false, description: 'the legacy system named in every imported fact (default legacy)' })
  @ApiQuery({ name: 'format', required: false, description: 'ndjson or csv; default from the content type' })
  @ApiBody({
    required: true,
    schema: {
      oneOf: [
        {
          type: 'object',
          required: ['format', 'content'],
          properties: {
            format: { type: 'string', enum: ['ndjson', 'csv'] },
            content: { type: 'string' },
            dryRun: { type: 'boolean' },
            system: { type: 'string', pattern: IMPORT_SYSTEM.source },
          },
        },
        { type: 'string', description: 'NDJSON or CSV text' },
      ],
    },
  })
  @Post()
  @HttpCode(200)
  @Roles('admin')
  async import(@Req() request: Request): Promise<ImportReport> {
    const parsed = await this.requestOf(request);
    return this.importer.run([parsed.content], { format: parsed.format, system: parsed.system, dryRun: parsed.dryRun });
  }

  private async requestOf(request: Request): Promise<ImportRequest> {
    const type = String(request.headers['content-type'] ?? '');
    const query = request.query as Record<string, unknown>;
    if (/^application\/(.+\+)?json/i.test(type)) {
      const body: unknown = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new ValidationProblem([{ field: 'body', message: 'a JSON object { format, content, dryRun, system }' }]);
      const b = body as Record<string, unknown>;
      const unknown = Object.keys(b).filter((key) => !['format', 'content', 'dryRun', 'system'].includes(key));
      if (unknown.length > 0) throw new ValidationProblem(unknown.map((field) => ({ field, message: 'not a field of an import' })));
      if (typeof b['content'] !== 'string') throw new ValidationProblem([{ field: 'content', message: 'the NDJSON or CSV text' }]);
      return {
        format: format(b['format'], undefined),
        content: b['content'],
        dryRun: flag(b['dryRun'], 'dryRun'),
        system: system(b['system']),
      };
    }
    const fromType = formatOf(type);
    if (!fromType && !(/^text\/plain/i.test(type) && query['format'] !== undefined)) throw new UnsupportedMediaTypeException();
    return {
      format: format(query['format'], fromType),
      content: await rawBody(request),
      dryRun: flag(query['dryRun'], 'dryRun'),
      system: system(query['system']),
    };
  }
}
