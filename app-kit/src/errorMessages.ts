import type { ErrorCode } from '@amphi/protocol';
import type { ClientErrorCode } from '@amphi/sdk';
import type { Lang } from './i18n.tsx';

/**
 * Codes the apps' own REST calls raise (portal, console): no answer at all, or
 * an answer they cannot read (an app older than its server).
 */
export type RestClientErrorCode = 'NETWORK' | 'INVALID_RESPONSE';

/** Every code an error may carry: the server's, and those the sdk and the apps raise themselves. */
export type KnownErrorCode = ErrorCode | ClientErrorCode | RestClientErrorCode;

/**
 * A refusal without Amphi's error body, named by its HTTP status (`HTTP_503`):
 * a proxy's own page, e.g. the balancer's while no control-api instance answers.
 */
export type HttpStatusErrorCode = `HTTP_${number}`;

/**
 * What each stable error code means to the person in front of the screen.
 * The server's `message` is for logs and developers (English, technical); the
 * apps show this. A code without its sentence here is a type error (and
 * errorMessages.test.ts fails on a code added to protocol without one).
 * Each sentence follows « Impossible de… : » or « Action refusée : » in the
 * apps, hence the lower-case start and no colon of its own (« ; » instead).
 */
export const ERROR_MESSAGES: Record<KnownErrorCode, Record<Lang, string>> = {
  INVALID_JSON: {
    fr: 'le serveur n’a pas pu lire le message envoyé',
    en: 'the server could not read the message sent',
  },
  INVALID_MESSAGE: {
    fr: 'le message envoyé au serveur est incomplet ou mal formé',
    en: 'the message sent to the server is incomplete or malformed',
  },
  UNKNOWN_TYPE: {
    fr: 'le serveur ne connaît pas cette demande ; rechargez la page pour la mettre à jour',
    en: 'the server does not know this request; reload the page to update it',
  },
  MESSAGE_TOO_LARGE: {
    fr: 'le message est trop long',
    en: 'the message is too long',
  },
  VALIDATION_FAILED: {
    fr: 'ce qui a été saisi n’est pas valide ; vérifiez le texte et réessayez',
    en: 'what was entered is not valid; check the text and try again',
  },
  RATE_LIMITED: {
    fr: 'trop de demandes en peu de temps ; patientez un instant, puis réessayez',
    en: 'too many requests in a short time; wait a moment, then try again',
  },
  UNAUTHORIZED: {
    fr: 'il faut un lien de connexion valide pour rejoindre la séance',
    en: 'a valid join link is needed to join the session',
  },
  TOKEN_INVALID: {
    fr: 'ce lien de connexion n’est pas valide ; vérifiez qu’il a été copié en entier, ou demandez-en un nouveau à l’organisateur',
    en: 'this join link is not valid; check that it was copied whole, or ask the organiser for a new one',
  },
  TOKEN_EXPIRED: {
    fr: 'ce lien de connexion a expiré ; demandez-en un nouveau à l’organisateur',
    en: 'this join link has expired; ask the organiser for a new one',
  },
  TOKEN_REVOKED: {
    fr: 'l’organisateur a révoqué ce lien ; demandez-lui un nouveau lien',
    en: 'the organiser revoked this link; ask them for a new one',
  },
  WRONG_EVENT: {
    fr: 'ce lien est celui d’une autre séance',
    en: 'this link is for another session',
  },
  FORBIDDEN: {
    fr: 'votre rôle dans la séance ne le permet pas',
    en: 'your role in the session does not allow it',
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    fr: 'cette page n’est plus à jour ; rechargez-la',
    en: 'this page is out of date; reload it',
  },
  NOT_FOUND: {
    fr: 'ce que vous demandez n’existe pas ou plus (la liste a peut-être changé entre-temps)',
    en: 'what you asked for does not exist or no longer exists (the list may have changed meanwhile)',
  },
  CONFLICT: {
    fr: 'quelqu’un d’autre de la modération a modifié cette question au même moment ; vérifiez-la et réessayez',
    en: 'another moderator changed this question at the same time; check it and try again',
  },
  NOT_ENROLLED: {
    fr: 'cette classe n’est pas inscrite à la séance',
    en: 'this class is not enrolled in the session',
  },
  EVENT_CLOSED: {
    fr: 'la séance est terminée ou annulée',
    en: 'the session has ended or was cancelled',
  },
  INVALID_STATE: {
    fr: 'ce n’est pas possible dans l’état actuel (la question ou la scène a peut-être changé entre-temps)',
    en: 'not possible in the current state (the question or the stage may have changed meanwhile)',
  },
  NOT_ON_STAGE: {
    fr: 'la classe n’est pas (ou plus) sur scène',
    en: 'the class is not (or no longer) on stage',
  },
  ALREADY_UPVOTED: {
    fr: 'votre classe soutient déjà cette question',
    en: 'your class already supports this question',
  },
  NOT_JOINED: {
    fr: 'la connexion vidéo n’est pas encore prête ; réessayez dans un instant',
    en: 'the video connection is not ready yet; try again in a moment',
  },
  TOO_MANY_PRODUCERS: {
    fr: 'une caméra et un micro sont déjà envoyés pour ce passage sur scène',
    en: 'a camera and a microphone are already being sent for this stage turn',
  },
  WRONG_TRANSPORT_DIRECTION: {
    fr: 'la connexion vidéo a rencontré une erreur ; rechargez la page',
    en: 'the video connection hit an error; reload the page',
  },
  MEDIA_UNAVAILABLE: {
    fr: 'la vidéo est indisponible sur le serveur pour le moment',
    en: 'video is not available on the server right now',
  },
  MEDIA_ERROR: {
    fr: 'le serveur vidéo a rencontré une erreur ; réessayez',
    en: 'the video server hit an error; try again',
  },
  RESUME_INVALID: {
    fr: 'la connexion vidéo précédente n’a pas pu être reprise ; elle est rétablie',
    en: 'the previous video connection could not be taken over; it is being set up again',
  },
  RESUME_EXPIRED: {
    fr: 'la connexion vidéo a été fermée pendant la coupure ; elle est rétablie',
    en: 'the video connection was closed during the outage; it is being set up again',
  },
  RESUME_UNKNOWN: {
    fr: 'la connexion vidéo précédente n’existe plus ; elle est rétablie',
    en: 'the previous video connection no longer exists; it is being set up again',
  },
  RESUME_SUPERSEDED: {
    fr: 'une connexion plus récente a repris cette session vidéo ; celle-ci s’arrête',
    en: 'a newer connection took this video session over; this one stops',
  },
  INTERNAL: {
    fr: 'le serveur a rencontré une erreur inattendue ; réessayez dans un instant',
    en: 'the server hit an unexpected error; try again in a moment',
  },
  DISCONNECTED: {
    fr: 'pas de connexion au serveur pour le moment ; réessayez dans un instant',
    en: 'not connected to the server right now; try again in a moment',
  },
  TIMEOUT: {
    fr: 'le serveur n’a pas répondu à temps ; réessayez',
    en: 'the server did not answer in time; try again',
  },
  CLOSED: {
    fr: 'la connexion à la séance est fermée ; rechargez la page',
    en: 'the connection to the session is closed; reload the page',
  },
  NETWORK: {
    fr: 'le serveur ne répond pas ; vérifiez la connexion à Internet, puis réessayez',
    en: 'the server cannot be reached; check the Internet connection, then try again',
  },
  INVALID_RESPONSE: {
    fr: 'la réponse du serveur n’a pas pu être lue ; rechargez la page',
    en: 'the server’s answer could not be read; reload the page',
  },
};

/** A proxy's 5xx page (`HTTP_502`, `HTTP_503`, `HTTP_504`): the server is there but not answering. */
export const SERVER_UNAVAILABLE: Record<Lang, string> = {
  fr: 'le serveur est momentanément indisponible ; réessayez dans un instant',
  en: 'the server is unavailable for the moment; try again in a moment',
};

/** The browser's camera and microphone errors (`DOMException` names), whose own messages are English. */
export const DEVICE_ERROR_MESSAGES: Record<string, Record<Lang, string>> = {
  NotAllowedError: {
    fr: 'le navigateur refuse l’accès à la caméra ou au micro ; autorisez-le dans la barre d’adresse',
    en: 'the browser denies access to the camera or microphone; allow it from the address bar',
  },
  NotFoundError: {
    fr: 'aucune caméra ou aucun micro n’est branché',
    en: 'no camera or microphone is plugged in',
  },
  NotReadableError: {
    fr: 'la caméra ou le micro est déjà utilisé par une autre application',
    en: 'the camera or microphone is already in use by another application',
  },
  OverconstrainedError: {
    fr: 'la caméra ne donne pas l’image demandée',
    en: 'the camera cannot give the picture asked for',
  },
};

/** Anything else: a bug or a browser's own failure, never shown raw. */
export const UNKNOWN_ERROR: Record<Lang, string> = {
  fr: 'une erreur inattendue est survenue ; réessayez',
  en: 'something unexpected went wrong; try again',
};

/** What went wrong, in `lang`: by the error's `code`, else by its name (camera errors), else a generic sentence. */
export function errorMessage(err: unknown, lang: Lang): string {
  if (typeof err === 'object' && err !== null) {
    const { code, name, details } = err as { code?: unknown; name?: unknown; details?: unknown };
    if (code === 'INVALID_MESSAGE' && namesAField(details)) {
      // The socket answers INVALID_MESSAGE to a request whose data the schema refused
      // (`data.text`...): for the person, what they typed was refused.
      return ERROR_MESSAGES.VALIDATION_FAILED[lang];
    }
    if (typeof code === 'string' && Object.hasOwn(ERROR_MESSAGES, code)) {
      return ERROR_MESSAGES[code as KnownErrorCode][lang];
    }
    if (typeof code === 'string' && /^HTTP_5\d\d$/.test(code)) return SERVER_UNAVAILABLE[lang];
    if (typeof name === 'string' && Object.hasOwn(DEVICE_ERROR_MESSAGES, name)) {
      return DEVICE_ERROR_MESSAGES[name]?.[lang] ?? UNKNOWN_ERROR[lang];
    }
  }
  return UNKNOWN_ERROR[lang];
}

function namesAField(details: unknown): boolean {
  return (
    Array.isArray(details) &&
    details.some((d) => typeof d?.path === 'string' && d.path.startsWith('data.'))
  );
}
