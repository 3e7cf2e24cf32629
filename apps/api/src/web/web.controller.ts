import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, Public } from '@recert/kernel';

/** Where `npm run build:web` puts the dashboard page's bundle. */
export function webRoot(): string {
  return join(projectRoot(), 'apps', 'api', 'public');
}

/** The holders' and the program's pages: one HTML shell; the bundle reads the API with the visitor's token. */
@ApiExcludeController()
@Controller('dashboard')
export class WebController {
  @Get(['', 'program'])
  @Public()
  page(@Res() response: Response): void {
    const index = join(webRoot(), 'index.html');
    if (!existsSync(index)) throw new NotFoundException('The dashboard page is not built: run npm run build');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
    );
    response.sendFile(index);
  }
}
