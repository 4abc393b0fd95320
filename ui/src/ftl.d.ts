// Fluent catalogs are bundled as text (Vite's `?raw`).
declare module "*.ftl?raw" {
  const text: string;
  export default text;
}
