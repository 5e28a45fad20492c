/** Reads a named secret's string value (SIH: the Secrets Manager SecretString, a JSON object). */
export interface Secrets {
  getSecret(name: string): Promise<string>;
}
