import { type I18n, type Lang, useI18n as useAppI18n } from '@amphi/app-kit';

/** Every visible string of the network check page, French first. `{name}` placeholders are filled by `t`. */
const fr = {
  'check.title': 'Test du réseau de la classe',
  'check.intro':
    'Ce test vérifie, avant la séance, que cet ordinateur recevra l’intervention depuis le réseau de l’établissement. Il ne rejoint pas la séance et n’utilise ni caméra ni micro. Il dure une vingtaine de secondes.',
  'check.badLink':
    'Ce lien est incomplet. Ouvrez le lien de la classe reçu de l’organisateur (il contient « event » et « token »).',
  'check.notClassroom':
    'Ce lien n’est pas un lien de classe : le test du réseau se fait avec le lien de la classe.',
  'check.start': 'Lancer le test',
  'check.again': 'Refaire le test',
  'check.running': 'Test en cours…',
  'check.failed': 'Le test n’a pas pu se faire : {reason}',
  'check.lang': 'English',
  'check.langLabel': 'Switch to English',
  'check.previous': 'Dernier test enregistré, le {date} : {verdict}',
  'check.for': 'Classe : {classroom} — séance « {title} » du {date}',

  'check.ways': 'Chemins essayés',
  'probe.udp': 'Connexion directe (UDP)',
  'probe.tcp': 'Connexion directe (TCP)',
  'probe.turn-udp': 'Relais (UDP)',
  'probe.turn-tls': 'Relais (TLS)',
  'probe.hls': 'Mode secours (serveur web)',
  'probe.waiting': 'en attente',
  'probe.trying': 'essai en cours…',
  'probe.ok': 'passe ({ms} ms)',
  'probe.timeout': 'bloqué',
  'probe.failed': 'échec',
  'probe.not-offered': 'non proposé par le serveur',
  'probe.unsupported': 'impossible avec ce navigateur',

  'phase.starting': 'Préparation du test…',
  'phase.probing': 'Essai de chaque chemin…',
  'phase.measuring': 'Mesure du débit avec une image de test…',
  'phase.saving': 'Enregistrement du résultat…',
  'phase.done': 'Test terminé.',

  'verdict.ready': 'Tout est prêt : connexion directe',
  'verdict.relay': 'Connexion via relais',
  'verdict.fallback': 'Mode secours : image en léger différé',
  'verdict.impossible': 'Impossible : le réseau de l’établissement bloque Amphi',
  'verdict.impossibleBrowser': 'Impossible : ce navigateur ne peut pas recevoir la séance',
  'verdict.readySlow': 'Connexion directe, mais débit faible',
  'verdict.relaySlow': 'Connexion via relais, mais débit faible',
  'explain.slow':
    'La ligne est lente : la classe entendra la séance, l’image sera réduite ou pourra se figer. Pendant la séance, évitez les autres usages du réseau (vidéos, mises à jour).',
  'explain.ready': 'La classe recevra la séance en direct, sans délai.',
  'explain.relay':
    'La classe recevra la séance en direct en passant par le relais d’Amphi : l’image peut être un peu moins fluide.',
  'explain.fallback':
    'Seul le serveur web est joignable : la classe verra et entendra la séance avec quelques secondes de retard, pourra poser ses questions, mais ne pourra pas passer sur scène.',
  'explain.impossible': 'Aucun chemin ne passe : la classe ne pourrait pas suivre la séance.',

  'note.udp-blocked': 'UDP est bloqué : la connexion passe par TCP, un peu moins fluide.',
  'note.relay-tls-only':
    'Le relais n’est joignable que par TLS : UDP vers le relais serait plus fluide.',
  'note.slow-downlink': 'Débit faible : le son passera en priorité, l’image sera réduite.',
  'note.no-picture': 'Des données arrivent mais aucune image n’a été décodée pendant la mesure.',
  'note.browser-unsupported':
    'Ce navigateur ne prend pas en charge la vidéo en direct (WebRTC) : utilisez une version récente de Chrome, Edge, Firefox ou Safari.',

  'it.title': 'À demander au service informatique de l’établissement',
  'it.optional': 'Facultatif, pour une image plus fluide : demander au service informatique de',
  'it.nothing': 'Rien à demander au service informatique.',
  'it.open': 'ouvrir {ports} vers {host}',
  'it.purpose.relay': '(relais)',
  'it.purpose.direct': '(serveur vidéo, connexion directe)',
  'it.purpose.web': '(serveur web)',

  'facts.downlink': 'Débit reçu : {kbps} kbit/s',
  'facts.downlinkNone': 'Débit reçu : non mesuré (aucun chemin ne passe)',
  'facts.browser': 'Navigateur : {name} {version} ({os})',
  'facts.supported': 'pris en charge',
  'facts.unsupported': 'non pris en charge',
  'facts.saved':
    'Résultat enregistré pour la classe le {date} : l’organisation de la séance le voit.',
};

export type CheckMessageKey = keyof typeof fr;

const en: Record<CheckMessageKey, string> = {
  'check.title': 'Classroom network check',
  'check.intro':
    'This check makes sure, before the session, that this computer will receive the talk from the school’s network. It does not join the session and uses no camera or microphone. It takes about twenty seconds.',
  'check.badLink':
    'This link is incomplete. Open the classroom link the organiser sent (it contains “event” and “token”).',
  'check.notClassroom':
    'This is not a classroom link: the network check uses the classroom’s link.',
  'check.start': 'Start the check',
  'check.again': 'Check again',
  'check.running': 'Checking…',
  'check.failed': 'The check could not run: {reason}',
  'check.lang': 'Français',
  'check.langLabel': 'Passer en français',
  'check.previous': 'Last saved check, {date}: {verdict}',
  'check.for': 'Class: {classroom} — session “{title}” on {date}',

  'check.ways': 'Ways in tried',
  'probe.udp': 'Direct connection (UDP)',
  'probe.tcp': 'Direct connection (TCP)',
  'probe.turn-udp': 'Relay (UDP)',
  'probe.turn-tls': 'Relay (TLS)',
  'probe.hls': 'Fallback mode (web server)',
  'probe.waiting': 'waiting',
  'probe.trying': 'trying…',
  'probe.ok': 'gets through ({ms} ms)',
  'probe.timeout': 'blocked',
  'probe.failed': 'failed',
  'probe.not-offered': 'not offered by the server',
  'probe.unsupported': 'not possible with this browser',

  'phase.starting': 'Preparing the check…',
  'phase.probing': 'Trying each way in…',
  'phase.measuring': 'Measuring the downlink with a test picture…',
  'phase.saving': 'Saving the result…',
  'phase.done': 'Check complete.',

  'verdict.ready': 'All set: direct connection',
  'verdict.relay': 'Connection via relay',
  'verdict.fallback': 'Fallback mode: picture slightly delayed',
  'verdict.impossible': 'Not possible: the school’s network blocks Amphi',
  'verdict.impossibleBrowser': 'Not possible: this browser cannot receive the session',
  'verdict.readySlow': 'Direct connection, but a slow line',
  'verdict.relaySlow': 'Connection via relay, but a slow line',
  'explain.slow':
    'The line is slow: the class will hear the session, the picture will be small or may freeze. During the session, avoid other uses of the network (videos, updates).',
  'explain.ready': 'The class will receive the session live, without delay.',
  'explain.relay':
    'The class will receive the session live through Amphi’s relay: the picture may be a little less smooth.',
  'explain.fallback':
    'Only the web server can be reached: the class will see and hear the session a few seconds late, can ask questions, but cannot go on stage.',
  'explain.impossible': 'No way in gets through: the class could not follow the session.',

  'note.udp-blocked': 'UDP is blocked: the connection goes over TCP, a little less smooth.',
  'note.relay-tls-only':
    'The relay can only be reached over TLS: UDP to the relay would be smoother.',
  'note.slow-downlink': 'Slow downlink: the sound comes first, the picture will be smaller.',
  'note.no-picture': 'Data arrives but no picture was decoded during the measurement.',
  'note.browser-unsupported':
    'This browser does not support live video (WebRTC): use a recent Chrome, Edge, Firefox or Safari.',

  'it.title': 'What to ask the school’s IT',
  'it.optional': 'Optional, for a smoother picture: ask the school’s IT to',
  'it.nothing': 'Nothing to ask the school’s IT.',
  'it.open': 'open {ports} to {host}',
  'it.purpose.relay': '(relay)',
  'it.purpose.direct': '(video server, direct connection)',
  'it.purpose.web': '(web server)',

  'facts.downlink': 'Downlink: {kbps} kbit/s',
  'facts.downlinkNone': 'Downlink: not measured (no way in gets through)',
  'facts.browser': 'Browser: {name} {version} ({os})',
  'facts.supported': 'supported',
  'facts.unsupported': 'not supported',
  'facts.saved': 'Result saved for the class on {date}: the session’s organisers can see it.',
};

export const CHECK_TABLES: Record<Lang, Record<CheckMessageKey, string>> = { fr, en };

/** The check page's strings. */
export function useCheckI18n(): I18n<CheckMessageKey> {
  return useAppI18n<CheckMessageKey>();
}
