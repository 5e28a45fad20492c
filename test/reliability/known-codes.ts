/**
 * Every error code an HTTP answer may carry, by the status class it comes with. Hostile-input
 * tests check each error answer against this list; `known-codes.test.ts` keeps it in step with
 * the codes the product code actually throws.
 */
export const CLIENT_ERROR_CODES = [
  'AuthorizationQueryParametersError',
  'BadRequest',
  'Crop::AreaOutOfBounds',
  'DecodeRequest::CannotReadPath',
  'DecodeRequest::PathTooLong',
  'Image::ProcessingTimeout',
  'ImageBucket::CannotAccessBucket',
  'ImageBucket::InvalidBucketName',
  'ImageEdits::CannotFindImage',
  'ImageEdits::CannotParseEdits',
  'ImageEdits::InvalidEdit',
  'ImageEdits::OutputTooLarge',
  'ImageRequestExpired',
  'ImageRequestExpiryFormat',
  'ImageSource::CorruptImage',
  'ImageSource::DimensionTooLarge',
  'ImageSource::InvalidKey',
  'ImageSource::TooLarge',
  'ImageSource::TooManyFrames',
  'ImageSource::TooComplex',
  'ImageSource::TooManyPixels',
  'ImageSource::UnsupportedFormat',
  'InvalidResizeException',
  'MethodNotAllowed',
  'NoSuchBucket',
  'NoSuchKey',
  'OverlayImageException',
  'Preset::NotFound',
  'Preset::Required',
  'Analysis::SignatureRequired',
  // The image API reached without CloudFront's origin secret (api/origin-guard.ts).
  'CloudFront::Required',
  'QueryParameterParsingError',
  'Request::HeadersTooLarge',
  'Request::Malformed',
  'Request::Timeout',
  'RequestTypeError',
  'SignatureDoesNotMatch',
  'SmartCrop::FaceIndexOutOfRange',
  'SmartCrop::PaddingOutOfBounds',
  'Storage::InvalidPrefix',
  'Storage::KeyConflict',
  'TooLargeImageException',
  'UnsupportedOutputImageFormatException',
  // The operator console and its API (console/server/*.ts, console/server/read-json-body.ts).
  'Analytics::UnknownQuery',
  'Api::NoSuchRoute',
  'Console::BucketNotAllowed',
  'Console::CrossSiteRequest',
  'Console::CsrfTokenInvalid',
  'Console::HostNotAllowed',
  'Console::InvalidCursor',
  'Console::InvalidKey',
  'Console::NoSuchFile',
  'Console::NotBuilt',
  'Console::NotConfigured',
  'Console::ReservedKey',
  'Console::TooManySignInAttempts',
  'Console::Unauthorized',
  'Request::BodyTooLarge',
  'Request::InvalidEncoding',
  'Request::InvalidJson',
  'Request::UnsupportedMediaType',
  'Sign::InvalidRequest',
  'StateMachineDoesNotExist',
  // The workflow API (console/server/workflow-routes.ts, the workflow engine adapters).
  'ExecutionDoesNotExist',
  'ExecutionNotRedrivable',
  'ExecutionNotRunning',
  'InvalidName',
  'Request::Invalid',
  'TaskDoesNotExist',
  'Upload::EmptyBody',
  'Upload::InvalidKey',
  'Upload::ReservedKey',
  // Analysis of an image the analyzer cannot read (core/adapters/aws/rekognition-analyzer.ts).
  'ImageSource::CannotAnalyze',
  'Rekognition::UnreadableS3Object',
  // Remote origins (core/adapters/https/https-origin-storage.ts, api/decode-request.ts).
  'Origin::Forbidden',
  'Origin::NotAllowed',
  'Origin::ReadOnly',
  'Origin::TooLarge',
  // The image API reached without CloudFront's origin secret (api/origin-guard.ts).
  'CloudFront::Required',
  // Delivery settings API (console/server/settings-routes.ts, the settings stores).
  'Settings::BuiltIn',
  'Settings::InUse',
  'Settings::Invalid',
  'Settings::InvalidName',
  'Settings::NotFound',
  'Settings::UnknownReference',
  'Settings::VersionMismatch',
] as const;

/** A feature configured off (moderation without an analyzer): 501, the one 5xx client input may get. */
export const NOT_AVAILABLE_CODES = ['ContentModeration::NotAvailable'] as const;

/** Server-side conditions: a fault of ours or a dependency's, never the client's input. */
export const SERVER_ERROR_CODES = [
  'Analyzer::Unavailable',
  'ConfigError',
  'InternalError',
  'SecretsManager::Unavailable',
  'Server::Overloaded',
  'Server::Timeout',
  'SignatureValidationFailure',
  'Storage::Aborted',
  'Storage::Unavailable',
  // The settings store could not be read or written (DynamoDB).
  'Settings::Unavailable',
  // A remote origin that did not answer, or not well (502/504 with Retry-After).
  'Origin::Unreachable',
  // Dependencies behind the workflow, events, analytics and Rekognition adapters.
  'Analytics::QueryCancelled',
  'Analytics::QueryFailed',
  'Analytics::QueryTimeout',
  'Events::DiskFull',
  'Events::OutboxFull',
  'Events::Undelivered',
  'Rekognition::DetectModerationLabelsError',
  'Rekognition::Throttled',
  'Rekognition::Unavailable',
  // The local analysis worker died before answering (retryable), or its entry is missing from a build.
  'LocalAnalysis::WorkerStopped',
  'LocalAnalysis::WorkerMissing',
  'SmartCrop::Error',
  'States.DataLimitExceeded',
  'States.Runtime',
  'StepFunctions::Refused',
  'StepFunctions::Unavailable',
  // Plain messages of programming errors (a closed sink, a failed model runtime), not answered to clients as codes.
  'KafkaEventSink is closed',
  'TensorFlow.js could not start its WebAssembly backend.',
] as const;

/** Transient server conditions: answered 503 with Retry-After. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'Analyzer::Unavailable',
  'SecretsManager::Unavailable',
  'Server::Overloaded',
  'Server::Timeout',
  'Storage::Aborted',
  'Storage::Unavailable',
]);

export const KNOWN_CODES: ReadonlySet<string> = new Set([...CLIENT_ERROR_CODES, ...NOT_AVAILABLE_CODES, ...SERVER_ERROR_CODES]);
