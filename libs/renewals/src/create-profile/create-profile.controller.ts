import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { ExternalIdField, ProfileIdField } from '../profile/id-fields';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, DISPLAY_TEXT, RequestMeta, Roles } from '@recert/kernel';
import { IsEmail, IsIn, IsString, Length, Matches } from 'class-validator';
import { CommandResult } from '../renewals.tokens';
import { CreateProfileCommand } from './create-profile.command';

export class CreateProfileDto {
  @ProfileIdField('profileId', { example: 'p-1001' })
  profileId!: string;

  @ExternalIdField('accountId', { example: 'msa-42' })
  accountId!: string;

  @ApiProperty({ enum: ['personal', 'work'] })
  @IsIn(['personal', 'work'])
  accountType!: 'personal' | 'work';

  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 200)
  @Matches(DISPLAY_TEXT, { message: 'displayName must not contain control or bidirectional formatting characters' })
  displayName!: string;

  @ApiProperty({ example: 'ada@example.com' })
  @IsString()
  @Length(3, 254)
  @IsEmail()
  email!: string;
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('certification-profiles')
@UseInterceptors(IdempotencyInterceptor)
export class CreateProfileController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(201)
  @Roles('exam-system', 'support')
  create(@Body() body: CreateProfileDto, @CommandMetaFromRequest() meta: RequestMeta): Promise<CommandResult> {
    return this.commandBus.execute(new CreateProfileCommand(body, meta));
  }
}
