// Migration 008: each webhook attempt keeps the start of what the receiver answered (issue #15 §7: "one
// attempt's request and response"), so a failing receiver's own error text is seen in the console.
export default /* sql */ `
ALTER TABLE webhook_attempts ADD COLUMN response_body TEXT;
`;
