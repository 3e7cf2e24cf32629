import { redactEmailAddresses } from './redact';

describe('redactEmailAddresses', () => {
  it('#16.11: an SMTP refusal quoting the recipient is kept without the address', () => {
    expect(redactEmailAddresses('550 5.1.1 <ada.lovelace+x@example.com>: Recipient address rejected')).toBe(
      '550 5.1.1 <[email]>: Recipient address rejected',
    );
    expect(redactEmailAddresses('ENOTDIR: not a directory')).toBe('ENOTDIR: not a directory');
  });
});
