/** Associated data for every sealed value: a sealed blob opens only for the purpose it was sealed for. */
export const sealPurpose = {
  caKey: 'bulkhead/tls/ca-key',
  serverKey: 'bulkhead/tls/server-key',
  operatorTotp: (operatorId: string) => `bulkhead/operator-totp/${operatorId}`,
  ledgerSigningKey: (keyId: string) => `bulkhead/ledger-signing-key/${keyId}`,
};
