import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { EXTERNAL_ID, PROFILE_ID } from '@recert/kernel';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

type FieldDocs = Pick<ApiPropertyOptions, 'example' | 'description'>;

/** A certification profile id in a body or a path: documented, a string, and of the shape stream names accept. */
export function ProfileIdField(field: string, docs: FieldDocs = {}): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ ...docs, pattern: PROFILE_ID.source }),
    IsString(),
    Matches(PROFILE_ID, { message: `${field}: 1-64 letters, digits, _ or -, starting with a letter or digit` }),
  );
}

/** An id another system owns (account, learn profile, attempt): documented, a string, of a log-safe shape. */
export function ExternalIdField(field: string, docs: FieldDocs & { optional?: boolean } = {}): PropertyDecorator {
  const { optional, ...api } = docs;
  return applyDecorators(
    ApiProperty({ ...api, pattern: EXTERNAL_ID.source, required: !optional }),
    ...(optional ? [IsOptional()] : []),
    IsString(),
    Matches(EXTERNAL_ID, { message: `${field}: 1-128 letters, digits, _ . : @ or -` }),
  );
}

/** Why a person acted (support, admin): 3-200 characters, stored with the event for the audit trail. */
export function ReasonField(docs: FieldDocs & { optional?: boolean } = {}): PropertyDecorator {
  const { optional, ...api } = docs;
  return applyDecorators(ApiProperty({ ...api, required: !optional }), ...(optional ? [IsOptional()] : []), IsString(), Length(3, 200));
}
