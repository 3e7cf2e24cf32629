import { Body, Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CommandMetaFromRequest, EXTERNAL_ID, PROFILE_ID, RequestMeta, Roles } from '@recert/kernel';
import { IsEmail, IsIn, IsString, Length, Matches } from 'class-validator';
import { CommandResult } from '../renewals.tokens';
import { CreateProfileCommand } from './create-profile.command';

export class CreateProfileDto {
  @ApiProperty({ example: 'p-1001', pattern: PROFILE_ID.source })
  @IsString()
  @Matches(PROFILE_ID, { message: 'profileId: 1-64 letters, digits, _ or -, starting with a letter or digit' })
  profileId!: string;

  @ApiProperty({ example: 'msa-42' })
  @IsString()
  @Matches(EXTERNAL_ID, { message: 'accountId: 1-128 letters, digits, _ . : @ or -' })
  accountId!: string;

  @ApiProperty({ enum: ['personal', 'work'] })
  @IsIn(['personal', 'work'])
  accountType!: 'personal' | 'work';

  @ApiProperty({ example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 200)
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
