// Codes and identifiers of lettres de liaison (ANS PDSm 3.1.1 bindings, CI-SIS JDV, FR Core identifier systems).

export const SYSTEM = {
  loinc: 'http://loinc.org',
  insNir: 'urn:oid:1.2.250.1.213.1.4.8',
  finess: 'https://finess.esante.gouv.fr',
  idNatStruct: 'urn:oid:1.2.250.1.71.4.2.2',
  idNatPs: 'urn:oid:1.2.250.1.71.4.2.1',
  rpps: 'https://rpps.esante.gouv.fr',
  /** TRE_A03 ClasseDocument: the values of JDV_J06 XdsClassCode-CISIS, PDSm's binding for DocumentReference.category. */
  classCode: 'https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument',
  /** TRE_A01 CadreExercice: JDV_J04 XdsPracticeSettingCode-CISIS, PDSm's binding for context.practiceSetting. */
  practiceSetting: 'https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice',
  /** TRE_R02 SecteurActivite: JDV_J02 XdsHealthcareFacilityTypeCode-CISIS, for context.facilityType. */
  facilityType: 'https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite',
  /** TRE_A11 IheFormatCode: JDV_J10 XdsFormatCode-CISIS, for content.format. */
  format: 'https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  taskType: 'https://fhir-hub.fr/ig/CodeSystem/fhir-hub-task-type',
  hubQueue: 'https://fhir-hub.fr/ig/NamingSystem/hub-queue',
} as const;

/** The INS systems (production NIR/NIA, test and demo), as FHIR identifier systems. */
export const INS_SYSTEMS = ['urn:oid:1.2.250.1.213.1.4.8', 'urn:oid:1.2.250.1.213.1.4.9', 'urn:oid:1.2.250.1.213.1.4.10', 'urn:oid:1.2.250.1.213.1.4.11'];

/** LOINC 11490-0, in JDV_J07 XdsTypeCode-CISIS (the PDSm binding of DocumentReference.type). */
export const LETTRE_DE_LIAISON = { system: SYSTEM.loinc, code: '11490-0', display: "Lettre de liaison à la sortie d'un établissement de soins" };
/** The class PDSm's own example gives a hospital report (TRE_A03 code 10). */
export const CLASS_COMPTE_RENDU = { system: SYSTEM.classCode, code: '10', display: 'Compte-rendu' };
export const SETTING_ETABLISSEMENT = { system: SYSTEM.practiceSetting, code: 'ETABLISSEMENT', display: 'Etablissement de santé' };
export const FORMAT_PDF = { system: SYSTEM.format, code: 'urn:ihe:iti:xds-sd:pdf:2008', display: 'Document à corps non structuré en Pdf/A-1' };

export const PROFILE = {
  letter: 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-lettre-de-liaison',
  communication: 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-communication',
  followUp: 'https://fhir-hub.fr/ig/StructureDefinition/fhir-hub-task-consultation-post-sortie',
};

/** MHD ITI-65 provide bundles, IHE and PDSm (Comprehensive, Minimal, UnContained; PDSm simplified publish). */
export const PROVIDE_BUNDLE_PROFILES = [
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.ProvideBundle',
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Minimal.ProvideBundle',
  'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.UnContained.Comprehensive.ProvideBundle',
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle',
  'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-simplified-publish',
];
export const SUBMISSION_SET_CODE = { system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' };

/** The hub's identity-vigilance queue: owner of reconciliation Tasks (an Organization of the demo data). */
export const IDENTITY_VIGILANCE = { system: SYSTEM.hubQueue, value: 'identitovigilance', display: "Cellule d'identitovigilance du hub" };
export const TASK_CODE = {
  followUp: { system: SYSTEM.taskType, code: 'consultation-post-sortie', display: "Consultation post-sortie d'hospitalisation" },
  reconciliation: { system: SYSTEM.taskType, code: 'rapprochement-identite', display: "Rapprochement d'identité d'un document reçu" },
};

/** Days between discharge and the follow-up consultation (HAS: seen by the médecin traitant within 7 days). */
export const FOLLOW_UP_DAYS = 7;
