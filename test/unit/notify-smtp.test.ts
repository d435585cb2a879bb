import t from 'tap';
import { encodeData, formatMessage, smtpSettingsOf } from '../../src/notify/smtp';
import type { GlobalDefs } from '../../src/config/model';

t.test('DATA encoding: CRLF and dot-stuffing, terminator', async (t) => {
  t.equal(encodeData('a\n.b\n..c'), 'a\r\n..b\r\n...c');
  const msg = formatMessage({ server: 's', helo: 'h', from: 'f@x', to: ['a@x', 'b@x'] }, { subject: 'S', body: 'line\n.dot', date: new Date(Date.UTC(2024, 1, 21, 21, 57, 11)) });
  t.equal(msg, 'Date: Wed, 21 Feb 2024 21:57:11 +0000\r\nFrom: f@x\r\nSubject: S\r\nX-Mailer: Keepalived\r\nTo: a@x, b@x\r\n\r\nline\r\n..dot\r\n.\r\n');
});

t.test('settings from global_defs', async (t) => {
  const g = { notificationEmail: ['ops@x'], smtpServer: { host: '192.0.2.25', port: 2525 }, smtpConnectTimeoutMs: 30000 } as unknown as GlobalDefs;
  t.same(smtpSettingsOf(g, 'lb1'), { server: '192.0.2.25', port: 2525, helo: 'lb1', from: 'keepalived@lb1', to: ['ops@x'], timeoutMs: 30000 });
  t.same(smtpSettingsOf({ ...g, routerId: 'R', smtpHeloName: 'H', notificationEmailFrom: 'me@x' } as GlobalDefs, 'lb1')?.helo, 'H');
  t.equal(smtpSettingsOf({ ...g, routerId: 'R' } as GlobalDefs, 'lb1')?.helo, 'R');
  t.equal(smtpSettingsOf({ ...g, notificationEmail: [] } as GlobalDefs), undefined, 'no recipients');
  t.equal(smtpSettingsOf({ ...g, smtpServer: undefined } as unknown as GlobalDefs), undefined, 'no server');
});
