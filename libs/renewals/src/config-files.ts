import { readFileSync } from 'node:fs';
import { Catalog, PolicyBook } from '@recert/domain';

/** The catalog and policy files read from disk: the I/O stays here, the parsing and its rules in the domain. */
export const loadCatalog = (file: string): Catalog => Catalog.parse(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
export const loadPolicyBook = (file: string): PolicyBook => PolicyBook.parse(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
