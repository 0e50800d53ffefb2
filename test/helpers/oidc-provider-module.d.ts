/** oidc-provider ships no type declarations; test/helpers/oidc-provider.ts types the little it uses. */
declare module 'oidc-provider' {
  const Provider: unknown;
  export default Provider;
}
