// fengari ships no types; the VM reaches its CommonJS modules untyped (see fengari-modules.ts).
declare module "fengari/src/*.js" {
  const m: any;
  export default m;
}
