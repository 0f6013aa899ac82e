import { type I18n, type Lang, useI18n as useAppI18n } from '@amphi/app-kit';

/** Every visible string of the viewer, French first. `{name}` placeholders are filled by `t`. */
const fr = {
  'app.title': 'Amphi — Classe',
  'app.loading': 'Connexion à la séance…',
  'app.badLink':
    'Ce lien est incomplet. Ouvrez le lien reçu de l’organisateur (il contient « event » et « token »).',
  'app.refused': 'Impossible de rejoindre la séance : {reason}',
  'app.removed': 'La modération a retiré la classe de la séance.',
  'app.revoked': 'L’organisateur a révoqué ce lien : demandez-lui un nouveau lien.',
  'lang.switch': 'English',
  'lang.label': 'Switch to English',

  'net.connecting': 'Connexion en cours…',
  'net.good': 'Connexion bonne',
  'net.degraded': 'Connexion moyenne : l’image peut baisser en qualité',
  'net.bad': 'Connexion faible : l’image peut se figer, le son reste prioritaire',
  'net.offline': 'Connexion perdue',
  'net.reconnecting': 'Connexion perdue — nouvelle tentative dans {seconds} s (essai {attempt})',
  'net.reconnectingNow': 'Connexion perdue — reconnexion en cours (essai {attempt})',
  'net.retryNow': 'Réessayer maintenant',
  'net.audioOnly': 'Son seul',
  'net.switchToAudioOnly': 'Passer en son seul (A)',
  'net.audioOnlyOn': 'Son seul (réseau faible) : activé',
  'net.video': 'Revenir à la vidéo',
  'net.mediaUnavailable': 'Vidéo indisponible sur le serveur pour le moment.',

  'video.waiting': 'En attente de l’intervenant ou de l’intervenante…',
  'reach.trying': 'Recherche de la meilleure connexion…',
  'reach.udp': 'Connexion directe',
  'reach.tcp': 'Connexion directe (TCP)',
  'reach.relay': 'Connexion via relais',
  'video.label': 'Vidéo : {name}',
  'video.labelUnnamed': 'Vidéo de l’intervenant ou de l’intervenante',
  'video.unmute': 'Activer le son',
  'video.audioOnlyHint': 'Mode son seul : la vidéo est coupée pour économiser le réseau.',
  'video.frozen': 'Connexion perdue — l’image est figée',
  'screen.full': 'Plein écran',
  'screen.exit': 'Quitter le plein écran',

  'event.status.scheduled': 'Bientôt en direct',
  'event.status.live': 'En direct',
  'event.status.ended': 'Séance terminée',
  'event.status.cancelled': 'Séance annulée',

  'ask.title': 'Poser une question',
  'ask.placeholder': 'Votre question pour l’intervenant ou l’intervenante…',
  'ask.category': 'Thème',
  'ask.send': 'Envoyer',
  'ask.sending': 'Envoi…',
  'ask.sent': 'Question envoyée : la modération va la lire.',
  'ask.tooShort': 'La question est trop courte.',
  'ask.error': 'La question n’est pas partie : {reason}',
  'ask.queued_one': 'Question en attente : elle partira dès le retour de la connexion.',
  'ask.queued_other':
    '{count} questions en attente : elles partiront dès le retour de la connexion.',
  'category.job_reality': 'La réalité du métier',
  'category.training_path': 'Le parcours de formation',
  'category.human_side': 'Le côté humain',
  'category.other': 'Autre',

  'questions.title': 'Questions retenues',
  'questions.empty': 'Aucune question retenue pour l’instant.',
  'questions.mine': 'Nos questions',
  'questions.upvote': '+1',
  'questions.upvoteLabel_one': 'Soutenir cette question ({count} soutien)',
  'questions.upvoteLabel_other': 'Soutenir cette question ({count} soutiens)',
  'questions.upvoted': 'Soutenue',
  'questions.status.pending': 'en attente de modération',
  'questions.status.approved': 'retenue',
  'questions.status.rejected': 'non retenue',
  'questions.status.merged': 'regroupée avec une autre',
  'questions.status.answering': 'en cours de réponse',
  'questions.status.answered': 'répondue',
  'questions.by': 'de {classroom}',

  'hand.raise': 'Lever la main',
  'hand.lower': 'Baisser la main',
  'hand.raised': 'Main levée : la modération peut vous inviter sur scène.',

  'stage.invited': 'La modération invite votre classe sur scène',
  'stage.explain':
    'Si vous acceptez, l’image de votre caméra et le son de votre micro seront envoyés aux intervenants et à la modération (pas aux autres classes). Rien n’est enregistré.',
  'stage.preview': 'Aperçu de votre caméra',
  'stage.noCamera': 'Caméra indisponible : {reason}',
  'stage.accept': 'Accepter et envoyer notre caméra',
  'stage.decline': 'Refuser',
  'stage.live': 'Votre classe est sur scène : les intervenants vous voient et vous entendent.',
  'stage.leave': 'Quitter la scène',

  'after.title': 'La séance est terminée — merci !',
  'after.mine': 'Les questions de votre classe',
  'after.none': 'Votre classe n’a pas posé de question.',
  'after.answered': 'Répondue',
  'after.notAnswered': 'Pas encore répondue',
  'after.merged': 'Regroupée avec une question proche',
  'after.loading': 'Chargement des questions de votre classe…',
  'after.localCopy':
    'La liste n’a pas pu être chargée : voici les questions gardées par ce navigateur, leur statut peut dater.',
  'after.unavailable':
    'Impossible de charger les questions de votre classe pour le moment : rechargez la page un peu plus tard.',
  'after.privacy': 'Rien n’a été enregistré : seul le texte des questions reste affiché ici.',

  'keys.title': 'Raccourcis',
  'keys.full': 'F plein écran',
  'keys.ask': 'Q question',
  'keys.hand': 'H main',
  'keys.audio': 'A son seul',
  'keys.lang': 'L langue',
} as const;

export type MessageKey = keyof typeof fr;

const en: Record<MessageKey, string> = {
  'app.title': 'Amphi — Classroom',
  'app.loading': 'Joining the session…',
  'app.badLink':
    'This link is incomplete. Open the link the organiser sent (it contains "event" and "token").',
  'app.refused': 'Cannot join the session: {reason}',
  'app.removed': 'A moderator removed this classroom from the session.',
  'app.revoked': 'The organiser revoked this link: ask them for a new one.',
  'lang.switch': 'Français',
  'lang.label': 'Passer en français',

  'net.connecting': 'Connecting…',
  'net.good': 'Good connection',
  'net.degraded': 'Fair connection: the picture may lose quality',
  'net.bad': 'Weak connection: the picture may freeze, sound comes first',
  'net.offline': 'Connection lost',
  'net.reconnecting': 'Connection lost — retrying in {seconds} s (attempt {attempt})',
  'net.reconnectingNow': 'Connection lost — reconnecting (attempt {attempt})',
  'net.retryNow': 'Retry now',
  'net.switchToAudioOnly': 'Switch to audio only (A)',
  'net.audioOnly': 'Audio only',
  'net.audioOnlyOn': 'Audio only (weak network): on',
  'net.video': 'Back to video',
  'net.mediaUnavailable': 'Video is not available on the server right now.',

  'video.waiting': 'Waiting for the speaker…',
  'video.label': 'Video: {name}',
  'video.labelUnnamed': 'Speaker video',
  'video.unmute': 'Turn sound on',
  'video.audioOnlyHint': 'Audio only: video is off to save the network.',
  'video.frozen': 'Connection lost — the picture is frozen',
  'screen.full': 'Full screen',
  'screen.exit': 'Exit full screen',
  'reach.trying': 'Finding the best connection…',
  'reach.udp': 'Direct connection',
  'reach.tcp': 'Direct connection (TCP)',
  'reach.relay': 'Connection via relay',

  'event.status.scheduled': 'Starting soon',
  'event.status.live': 'Live',
  'event.status.ended': 'Session ended',
  'event.status.cancelled': 'Session cancelled',

  'ask.title': 'Ask a question',
  'ask.placeholder': 'Your question for the speaker…',
  'ask.category': 'Topic',
  'ask.send': 'Send',
  'ask.sending': 'Sending…',
  'ask.sent': 'Question sent: the moderator will read it.',
  'ask.tooShort': 'The question is too short.',
  'ask.error': 'The question was not sent: {reason}',
  'ask.queued_one': 'Question waiting: it will be sent as soon as the connection is back.',
  'ask.queued_other':
    '{count} questions waiting: they will be sent as soon as the connection is back.',
  'category.job_reality': 'What the job is really like',
  'category.training_path': 'Training path',
  'category.human_side': 'The human side',
  'category.other': 'Other',

  'questions.title': 'Selected questions',
  'questions.empty': 'No question selected yet.',
  'questions.mine': 'Our questions',
  'questions.upvote': '+1',
  'questions.upvoteLabel_one': 'Support this question ({count} supporter)',
  'questions.upvoteLabel_other': 'Support this question ({count} supporters)',
  'questions.upvoted': 'Supported',
  'questions.status.pending': 'waiting for the moderator',
  'questions.status.approved': 'selected',
  'questions.status.rejected': 'not selected',
  'questions.status.merged': 'merged with another',
  'questions.status.answering': 'being answered',
  'questions.status.answered': 'answered',
  'questions.by': 'from {classroom}',

  'hand.raise': 'Raise hand',
  'hand.lower': 'Lower hand',
  'hand.raised': 'Hand raised: the moderator may invite you on stage.',

  'stage.invited': 'The moderator invites your class on stage',
  'stage.explain':
    'If you accept, your camera and microphone are sent to the speaker and the moderator (not to other classes). Nothing is recorded.',
  'stage.preview': 'Your camera preview',
  'stage.noCamera': 'Camera unavailable: {reason}',
  'stage.accept': 'Accept and send our camera',
  'stage.decline': 'Decline',
  'stage.live': 'Your class is on stage: the speaker sees and hears you.',
  'stage.leave': 'Leave the stage',

  'after.title': 'The session has ended — thank you!',
  'after.mine': 'Your class’s questions',
  'after.none': 'Your class asked no question.',
  'after.answered': 'Answered',
  'after.notAnswered': 'Not answered yet',
  'after.merged': 'Merged with a similar question',
  'after.loading': 'Loading your class’s questions…',
  'after.localCopy':
    'The list could not be loaded: here are the questions this browser kept; their status may be out of date.',
  'after.unavailable':
    'Your class’s questions cannot be loaded right now: reload the page a little later.',
  'after.privacy': 'Nothing was recorded: only the text of the questions is shown here.',

  'keys.title': 'Shortcuts',
  'keys.full': 'F full screen',
  'keys.ask': 'Q question',
  'keys.hand': 'H hand',
  'keys.audio': 'A audio only',
  'keys.lang': 'L language',
};

export const TABLES: Record<Lang, Record<MessageKey, string>> = { fr, en };

/** The viewer's strings. */
export function useI18n(): I18n<MessageKey> {
  return useAppI18n<MessageKey>();
}
