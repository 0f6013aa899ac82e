import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/**
 * Invited on stage: the class sees what its camera shows and says yes or no.
 * Nothing is sent before "accept".
 */
export function StageConsent({
  onRespond,
}: {
  onRespond: (accept: boolean, preview: MediaStream | null) => Promise<void>;
}) {
  const { t, errorText } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const acceptButton = useRef<HTMLButtonElement>(null);
  const [preview, setPreview] = useState<MediaStream | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let stream: MediaStream | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: { width: 1280, height: 720 }, audio: true })
      .then((s) => {
        if (cancelled) {
          for (const tr of s.getTracks()) tr.stop();
          return;
        }
        stream = s;
        setPreview(s);
        if (video.current) video.current.srcObject = s;
      })
      .catch((err: unknown) => setError(err));
    acceptButton.current?.focus();
    return () => {
      cancelled = true;
      // Sent tracks are handed over on accept; otherwise nothing keeps the camera on.
      if (stream && !handedOver.current) for (const tr of stream.getTracks()) tr.stop();
    };
  }, []);
  const handedOver = useRef(false);

  const respond = async (accept: boolean) => {
    setBusy(true);
    handedOver.current = accept;
    try {
      await onRespond(accept, preview);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="modal"
      role="dialog"
      aria-modal="true"
      aria-labelledby="stage-title"
      data-testid="stage-consent"
    >
      <div className="modal-box">
        <h2 id="stage-title">{t('stage.invited')}</h2>
        <p>{t('stage.explain')}</p>
        <figure>
          <video ref={video} autoPlay playsInline muted aria-label={t('stage.preview')} />
          <figcaption>{t('stage.preview')}</figcaption>
        </figure>
        {error !== null && (
          <p className="error">{t('stage.noCamera', { reason: errorText(error) })}</p>
        )}
        <div className="row">
          <button
            ref={acceptButton}
            type="button"
            className="big-button accept"
            disabled={busy || !preview}
            onClick={() => void respond(true)}
          >
            {t('stage.accept')}
          </button>
          <button
            type="button"
            className="big-button secondary"
            disabled={busy}
            onClick={() => void respond(false)}
          >
            {t('stage.decline')}
          </button>
        </div>
      </div>
    </div>
  );
}
