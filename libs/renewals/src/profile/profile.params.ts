import { ApiProperty } from '@nestjs/swagger';
import { CERTIFICATION_CODE, PROFILE_ID } from '@recert/kernel';
import { IsString, Matches } from 'class-validator';

export class ProfileParams {
  @ApiProperty({ pattern: PROFILE_ID.source })
  @IsString()
  @Matches(PROFILE_ID, { message: 'profileId: 1-64 letters, digits, _ or -' })
  profileId!: string;
}

export class HoldingParams extends ProfileParams {
  @ApiProperty({ pattern: CERTIFICATION_CODE.source, example: 'azure-administrator-associate' })
  @IsString()
  @Matches(CERTIFICATION_CODE, { message: 'code: lower-case letters, digits and dashes' })
  code!: string;
}

export class TargetProfileParams {
  @ApiProperty({ pattern: PROFILE_ID.source })
  @IsString()
  @Matches(PROFILE_ID, { message: 'targetId: 1-64 letters, digits, _ or -' })
  targetId!: string;
}
