// The partner-warning letter (ja/en), filled with the organisation's details, to copy into a mail. Pure text.
import type { Lang } from './steps.ts';

export interface OrgDetails {
  orgName: string;
  contact: string;
  /** yyyy-mm-dd */
  incidentDate: string;
  /** Extra things to watch for (subjects, sender names), one per line. */
  watchFor: string;
}

export const EMPTY_ORG: OrgDetails = { orgName: '', contact: '', incidentDate: '', watchFor: '' };

const slot = (v: string, lang: Lang, name: Record<Lang, string>) => v.trim() || (lang === 'ja' ? `【${name.ja}】` : `[${name.en}]`);

export function partnerLetter(org: OrgDetails, lang: Lang): { subject: string; body: string } {
  const name = slot(org.orgName, lang, { en: 'organisation name', ja: '組織名' });
  const contact = slot(org.contact, lang, { en: 'contact', ja: '連絡先' });
  const date = slot(org.incidentDate, lang, { en: 'date', ja: '日付' });
  const extra = org.watchFor.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lang === 'ja') {
    return {
      subject: `【重要】${name}を装った不審なメールにご注意ください`,
      body: [
        '取引先・お客様各位',
        '',
        `平素より大変お世話になっております。${name}です。`,
        `${date}、弊社の端末 1 台がマルウェア「Emotet」に感染したことを確認いたしました。`,
        '感染端末はネットワークから隔離し、駆除と調査を進めております。',
        '',
        'Emotet は感染した端末からメールアドレスやメールの内容を盗み、それを使って実在の人物・組織を装った',
        'メールを送ります。弊社の社員名や過去のメールの件名・本文を引用したメールが、皆様に届くおそれがあります。',
        '駆除後もしばらくは届く可能性があります。',
        '',
        '次のようなメールにご注意ください:',
        '・送信者名は弊社の社員でも、メールアドレスのドメインが弊社のものと異なるメール',
        '・過去のやり取りを引用した返信を装い、添付ファイル (Word・Excel・OneNote・ZIP など) や URL を開かせようとするメール',
        '・パスワード付き ZIP ファイルが添付されたメール',
        '・マクロやコンテンツの有効化を求める文書',
        ...extra.map((l) => `・${l}`),
        '',
        '心当たりのないメールの添付ファイルや URL は開かず、削除してください。',
        '判断に迷う場合は、メール以外の方法 (お電話など) で下記までお問い合わせください。',
        '',
        '皆様には多大なご迷惑とご心配をおかけし、深くお詫び申し上げます。',
        '',
        `${name}`,
        `お問い合わせ先: ${contact}`,
      ].join('\n'),
    };
  }
  return {
    subject: `Important: beware of suspicious mail pretending to come from ${name}`,
    body: [
      'Dear partners and customers,',
      '',
      `On ${date} we found that one of our computers at ${name} was infected with the malware "Emotet".`,
      'The computer has been isolated from our network, and cleanup and investigation are under way.',
      '',
      'Emotet steals mail addresses and messages from infected computers and uses them to send mail that',
      'pretends to come from real people and organisations. You may receive mail that uses the names of our staff',
      'or quotes subjects and text of earlier mails with us — possibly for some time even after the cleanup.',
      '',
      'Please be careful with mail such as:',
      '- a sender name of our staff, but an address whose domain is not ours',
      '- a reply that quotes an earlier conversation and asks you to open an attachment (Word, Excel, OneNote, ZIP) or a link',
      '- a password-protected ZIP attachment',
      '- a document asking you to enable macros or content',
      ...extra.map((l) => `- ${l}`),
      '',
      'Please do not open attachments or links in mail you do not expect; delete it. If unsure, contact us by',
      'another means than mail (e.g. by telephone) at the address below.',
      '',
      'We sincerely apologise for the trouble and concern this causes.',
      '',
      `${name}`,
      `Contact: ${contact}`,
    ].join('\n'),
  };
}
