import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { unsafeTextFields } from '../text';

/** application/problem+json body (RFC 9457) with the contract's `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `https://recert.example/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

/** A malformed request: 400 VALIDATION_FAILED with one entry per field at fault. */
export class ValidationProblem extends BadRequestException {
  constructor(
    readonly errors: { field: string; message: string }[],
    readonly detail = 'The request is malformed',
  ) {
    super(detail);
  }
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Unknown fields are refused, types are checked strictly, nothing is coerced silently; and no string of a body
 * (key or value, any depth) holds control, bidirectional formatting or unpaired-surrogate characters (#22.10), so
 * no command stores them, whatever its DTO checks.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      const unsafe = unsafeTextFields(value);
      if (unsafe.length > 0) throw new ValidationProblem(unsafe.slice(0, 20), 'Some text holds characters that are not allowed');
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationProblem(flatten(errors), 'Some fields are missing or malformed'),
  });
}
