// Runs on the audio thread of an 8 kHz AudioContext: the microphone in 20 ms Int16 frames to the main
// thread (then the call's audio socket), the call's frames from the main thread to the speakers.
const FRAME = 160;
const MAX_QUEUED = 15; // 300 ms: beyond it the oldest audio goes, so the person never falls behind the call

class PcmBridge extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.offset = 0;
    this.mic = new Int16Array(FRAME);
    this.filled = 0;
    this.port.onmessage = (e) => {
      this.queue.push(new Int16Array(e.data));
      if (this.queue.length > MAX_QUEUED) {
        this.queue.splice(0, this.queue.length - MAX_QUEUED);
        this.offset = 0;
      }
    };
  }

  process(inputs, outputs) {
    const input = inputs[0] && inputs[0][0];
    if (input) {
      for (let i = 0; i < input.length; i++) {
        const s = Math.max(-1, Math.min(1, input[i]));
        this.mic[this.filled++] = s < 0 ? s * 32768 : s * 32767;
        if (this.filled === FRAME) {
          const frame = this.mic.buffer.slice(0);
          this.port.postMessage(frame, [frame]);
          this.filled = 0;
        }
      }
    }
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) {
      const head = this.queue[0];
      if (!head) {
        out[i] = 0;
        continue;
      }
      out[i] = head[this.offset++] / 32768;
      if (this.offset >= head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    return true;
  }
}

registerProcessor("pcm-bridge", PcmBridge);
