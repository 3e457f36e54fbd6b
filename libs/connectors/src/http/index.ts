export { HttpConnector } from './http-connector';
export { HTTP_DEFAULTS, HttpConfigError, MIN_SECRET_LENGTH, validateHttpConfig } from './http-config';
export type { HttpConnectorConfig } from './http-config';
export { httpConfigFromEntry } from './system-entry';
export { SIGNATURE_HEADERS, SIGNATURE_VERSION, signPayload, verifySignature } from './signature';
export type { SignatureCheck, SignedMessage } from './signature';
export { OPENDSR_API_VERSION, REQUEST_STATUSES, requestBody, selectIdentities, subjectRequestType } from './opendsr';
export type { OpenDsrIdentity, OpenDsrRegulation, OpenDsrRequest, RequestStatus, SubjectRequestType } from './opendsr';
