import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { RenewalsModule } from '../renewals.module';
import { OverrideRequestsController } from './override-requests.controller';
import { OverrideEffects } from './override-effects';
import { OverrideProcess } from './override-process';
import { OverrideRequests } from './override-requests.service';
import { OverrideView } from './override-view';
import { OVERRIDE_TARGETS, OverrideTargets } from './override-targets';

/**
 * Overrides under four eyes (#14.1). A module of its own because a bulk override finds its holdings in the holdings
 * read model, which sits above this lib: the composition (the worker module) gives the `OverrideTargets` it provides.
 */
@Module({})
export class OverridesModule {
  static register(options: { imports: ModuleMetadata['imports']; targets: Type<OverrideTargets> }): DynamicModule {
    return {
      module: OverridesModule,
      imports: [RenewalsModule, ...(options.imports ?? [])],
      controllers: [OverrideRequestsController],
      providers: [
        OverrideRequests,
        OverrideView,
        OverrideProcess,
        OverrideEffects,
        { provide: OVERRIDE_TARGETS, useExisting: options.targets },
      ],
      exports: [OverrideRequests, OverrideView, OverrideProcess],
    };
  }
}
