/**
 * What the turn detector needs from a voice activity model: 8 kHz PCM in, one speech probability (0–1)
 * per window out, in order. The detector owns the speech states (voice/turn-detector.ts); the model only
 * scores windows.
 */
export interface VoiceActivityDetector {
  readonly windowMs: number;
  push(pcm: Int16Array): void;
  close(): void;
}

/**
 * Where a detector may read the caller's audio itself, on another thread than the one that pushes it
 * (media/call-audio.ts's `tapCallerAudio`): frames copied into `ring`, word 0 of `bell` rung after them.
 */
export interface CallerAudioTap {
  tapCallerAudio?(ring: SharedArrayBuffer, bell: SharedArrayBuffer): () => void;
}

/**
 * Creates a call's detector; the voice session takes one so tests can drive turns without onnx. `audio`
 * is the call's leg: a detector running on another thread taps it when it can. `endSample`: samples
 * pushed before the scored window's end, when the detector says (inference may answer windows late);
 * without it the window is taken to be the latest one pushed.
 */
export type VadFactory = (
  onProbability: (p: number, endSample?: number) => void,
  audio?: CallerAudioTap,
) => VoiceActivityDetector;
