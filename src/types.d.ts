declare module 'fhirpath/fhir-context/r4' {
  const model: unknown;
  export default model;
}
