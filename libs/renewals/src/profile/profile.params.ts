import { ApiProperty } from '@nestjs/swagger';
import { CERTIFICATION_CODE } from '@recert/kernel';
import { IsString, Matches } from 'class-validator';
import { ProfileIdField } from './id-fields';

export class ProfileParams {
  @ProfileIdField('profileId')
  profileId!: string;
}

export class HoldingParams extends ProfileParams {
  @ApiProperty({ pattern: CERTIFICATION_CODE.source, example: 'azure-administrator-associate' })
  @IsString()
  @Matches(CERTIFICATION_CODE, { message: 'code: lower-case letters, digits and dashes' })
  code!: string;
}

export class TargetProfileParams {
  @ProfileIdField('targetId')
  targetId!: string;
}
