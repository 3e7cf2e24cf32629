import { Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig, settingsProvider } from '@recert/kernel';
import { OverrideTargetQueries, ReadModelsModule } from '@recert/projections';
import { ModuleRef } from '@nestjs/core';
import { OverridesModule, ProfileReader, RenewalsModule, UnsubscribeLinks } from '@recert/renewals';
import { HolderMessageDispatcher } from './messages/holder-message-dispatcher';
import { NotificationDispatcher } from './notifications/notification-dispatcher';
import { HOLDER_MESSAGES, HolderMessages } from './messages/holder-messages';
import {
  FileMailTransport,
  FolderSender,
  HOLDER_MESSAGE_SENDER,
  MAIL_TRANSPORT,
  MailTransport,
  NOTIFICATION_SENDER,
  REMINDER_SENDER,
  SmtpMailTransport,
} from './messages/mail-transport';
import { MessageTemplates } from './messages/message-templates';
import { MessagesController } from './messages/messages.controller';
import { ReminderDispatcher } from './reminders/reminder-dispatcher';
import { ProfileReminderPreferences, REMINDER_PREFERENCES } from './reminders/reminder-preferences';
import { Scheduler } from './scheduler/scheduler';
import { DeadlineTicks } from './scheduler/deadline-ticks';
import { OutboundDeliveries } from './scheduler/outbound-deliveries';
import { ProcessCompletions } from './scheduler/process-completions';
import { WEBHOOK_SETTINGS, WebhookDeliveries, webhookLogSettings, WebhookSettings } from './webhooks/webhook-deliveries';
import { webhookNetworks } from './webhooks/webhook-target';
import { WebhooksController } from './webhooks/webhooks.controller';
import { SchedulerController } from './scheduler/scheduler.controller';

/** What the worker's timers read of the settings (#28.4): their beats. */
export interface WorkerTimerSettings {
  schedulerIntervalMs: number;
  dispatchIntervalMs: number;
}
const WORKER_TIMER_SETTINGS = Symbol('WORKER_TIMER_SETTINGS');

/** Runs the scheduler every SCHEDULER_INTERVAL_MS and the dispatcher every DISPATCH_INTERVAL_MS (0: off). */
@Injectable()
export class WorkerTimers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private timers: NodeJS.Timeout[] = [];
  private busy = false;
  /** The run under way, so shutdown can let it finish. */
  private current: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(WORKER_TIMER_SETTINGS) private readonly config: WorkerTimerSettings,
    private readonly scheduler: Scheduler,
    private readonly dispatcher: NotificationDispatcher,
    private readonly webhooks: WebhookDeliveries,
    private readonly reminders: ReminderDispatcher,
    private readonly messages: HolderMessageDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    const every = (ms: number, name: string, work: () => Promise<unknown>): void => {
      if (ms <= 0) return;
      this.timers.push(
        setInterval(() => {
          if (this.busy) return;
          this.busy = true;
          this.current = work()
            .catch((error: unknown) => this.logger.error(`${name}: ${error instanceof Error ? error.message : String(error)}`))
            .finally(() => (this.busy = false));
        }, ms),
      );
    };
    every(this.config.schedulerIntervalMs, 'scheduler', () => this.scheduler.runOnce());
    // Webhooks go out on the dispatcher's beat too (#14.5): a webhook is an outbound notification.
    // Status messages (#29) too: the same outbox flow as R4's notices.
    every(this.config.dispatchIntervalMs, 'dispatcher', () =>
      this.dispatcher
        .dispatchOnce()
        .then(() => this.messages.dispatchOnce())
        .then(() => this.webhooks.runOnce()),
    );
  }

  /** Graceful: no new runs, the one under way finishes (its batch cut short), then the leases still held (outbox, reminders, webhooks) go back. */
  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.dispatcher.stop();
    this.messages.stop();
    await this.current;
    const released =
      (await this.dispatcher.releaseLeases()) +
      (await this.messages.releaseLeases()) +
      (await this.reminders.releaseLeases()) +
      (await this.webhooks.releaseLeases());
    if (released > 0) this.logger.log(`released ${released} lease(s)`);
  }
}

@Module({
  // Overrides (#14.1) find a bulk override's holdings in the holdings read model: given here, where both are known.
  imports: [RenewalsModule, ReadModelsModule, OverridesModule.register({ imports: [ReadModelsModule], targets: OverrideTargetQueries })],
  controllers: [SchedulerController, WebhooksController, MessagesController],
  providers: [
    Scheduler,
    DeadlineTicks,
    OutboundDeliveries,
    ProcessCompletions,
    NotificationDispatcher,
    HolderMessageDispatcher,
    ReminderDispatcher,
    WebhookDeliveries,
    {
      provide: WEBHOOK_SETTINGS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): WebhookSettings => ({
        timeoutMs: 10_000,
        allowedNetworks: webhookNetworks(config.webhookAllowedNetworks),
      }),
    },
    WorkerTimers,
    settingsProvider(
      WORKER_TIMER_SETTINGS,
      (c): WorkerTimerSettings => ({ schedulerIntervalMs: c.schedulerIntervalMs, dispatchIntervalMs: c.dispatchIntervalMs }),
    ),
    webhookLogSettings,
    // #24.8: one transport for every holder message, chosen by NOTIFICATION_SENDER; each dispatcher sends through its folder.
    {
      provide: MAIL_TRANSPORT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): MailTransport =>
        config.notificationSender === 'smtp' && config.smtpUrl
          ? new SmtpMailTransport(config.smtpUrl, config.smtpFrom)
          : new FileMailTransport(config.dataDir),
    },
    { provide: NOTIFICATION_SENDER, inject: [MAIL_TRANSPORT], useFactory: (t: MailTransport) => new FolderSender(t, 'notifications') },
    { provide: REMINDER_SENDER, inject: [MAIL_TRANSPORT], useFactory: (t: MailTransport) => new FolderSender(t, 'reminders') },
    { provide: HOLDER_MESSAGE_SENDER, inject: [MAIL_TRANSPORT], useFactory: (t: MailTransport) => new FolderSender(t, 'messages') },
    // #29: the templates are read and checked once, at start-up.
    {
      provide: HOLDER_MESSAGES,
      inject: [APP_CONFIG, UnsubscribeLinks],
      useFactory: (config: AppConfig, links: UnsubscribeLinks) =>
        new HolderMessages(MessageTemplates.load(config.messages.templatesDir, config.messages.defaultLanguage), {
          from: config.smtpFrom,
          publicBaseUrl: config.credentials.publicBaseUrl,
          unsubscribeUrl: (profileId) => links.url(profileId),
        }),
    },
    // ProfileReader is looked up when asked, not named here: @recert/renewals may still be loading when this module is.
    {
      provide: REMINDER_PREFERENCES,
      inject: [ModuleRef],
      useFactory: (refs: ModuleRef) =>
        new ProfileReminderPreferences({ state: (profileId) => refs.get(ProfileReader, { strict: false }).state(profileId) }),
    },
  ],
  exports: [
    Scheduler,
    NotificationDispatcher,
    HolderMessageDispatcher,
    ReminderDispatcher,
    WebhookDeliveries,
    WEBHOOK_SETTINGS,
    REMINDER_SENDER,
    NOTIFICATION_SENDER,
    HOLDER_MESSAGE_SENDER,
    MAIL_TRANSPORT,
    HOLDER_MESSAGES,
    REMINDER_PREFERENCES,
  ],
})
export class WorkerModule {}
