// Every vendor module registers itself on import; this file is the one list of them.
import "./llm/openai.js";
import "./stt/pocketsphinx.js";
import "./tts/local.js";
import "./stt/deepgram.js";
import "./stt/openai.js";
import "./tts/openai.js";
import "./tts/elevenlabs.js";
import "./stt/whisper.js";
