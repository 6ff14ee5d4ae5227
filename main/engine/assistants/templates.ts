import type { AssistantCreateInput, ToolDefinitionT } from "../domain/assistant.js";

/**
 * Starting points for a new assistant (issue #15 §1 and §4). Each `assistant` is a POST /assistants body as
 * it stands, on engines that run on this machine, so a small business gets a working assistant without an
 * account anywhere: Whisper hears, an OpenAI-compatible server on the same machine (Ollama's default port)
 * thinks, Flite or espeak-ng speaks. `required_models` are the catalogue ids (GET /models) the assistant
 * cannot run without, so a first-run wizard can offer their downloads; built-in models are left out because
 * nothing needs to be fetched for them.
 */
export interface AssistantTemplate {
  id: string;
  name: string;
  description: string;
  /** BCP 47 language the assistant speaks, so a wizard can offer the templates in the user's language first. */
  language: string;
  assistant: AssistantCreateInput;
  required_models: string[];
}

/** Ollama's OpenAI-compatible endpoint on its default port; LM Studio and llama.cpp server work the same way. */
export const LOCAL_LLM_BASE_URL = "http://127.0.0.1:11434/v1";
const LOCAL_LLM_MODEL = "llama3.2";

const localLlm = (prompt: string, tools: ToolDefinitionT[]) => ({
  provider: "openai_compatible" as const,
  model: LOCAL_LLM_MODEL,
  base_url: LOCAL_LLM_BASE_URL,
  temperature: 0.4,
  messages: [{ role: "system" as const, content: prompt }],
  tools,
});

// English-only Whisper is faster and more accurate for English; Dutch needs the multilingual model.
const ENGLISH_STT = { provider: "whisper" as const, model: "base.en", language: "en" };
const DUTCH_STT = { provider: "whisper" as const, model: "small", language: "nl" };
const ENGLISH_TTS = { provider: "local" as const, voice_id: "flite-slt" };
// Flite speaks English only; espeak-ng (a separate program, offered by GET /voices when installed) speaks Dutch.
const DUTCH_TTS = { provider: "local" as const, voice_id: "espeak-nl", language: "nl" };
const ENGLISH_MODELS = ["whisper-base.en"];
const DUTCH_MODELS = ["whisper-small"];

const END_CALL = { type: "end_call" };

/** Caller details every message-taking template extracts after the call. */
const messageAnalysis = (language: "en" | "nl") => ({
  structured_data_plan: {
    enabled: true,
    schema: {
      type: "object",
      properties: {
        caller_name: { type: "string" },
        callback_number: { type: "string" },
        reason: { type: "string" },
        urgent: { type: "boolean" },
      },
      required: ["reason"],
    },
    messages: [
      {
        role: "system" as const,
        content:
          language === "nl"
            ? "Haal uit het gesprek de naam van de beller, het terugbelnummer, de reden van het gesprek en of het dringend is."
            : "Extract from the call the caller's name, their callback number, the reason for the call and whether it is urgent.",
      },
    ],
  },
});

const turnTaking = { endpointing_min_delay: 0.5, endpointing_max_delay: 2, interruption_min_duration: 0.3 };

const silence = (language: "en" | "nl") => ({
  messages: [language === "nl" ? "Bent u er nog?" : "Are you still there?"],
  final_message: language === "nl" ? "Ik hoor niets meer, tot ziens." : "I can't hear anything, goodbye.",
  first_check_seconds: 8,
  interval_seconds: 8,
  max_attempts: 2,
});

export const ASSISTANT_TEMPLATES: readonly AssistantTemplate[] = [
  {
    id: "receptionist-en",
    name: "Receptionist",
    description: "Answers the phone for your business, answers common questions and takes a message for anything else.",
    language: "en",
    required_models: ENGLISH_MODELS,
    assistant: {
      name: "Receptionist",
      first_message: "Hello, thank you for calling. How can I help you today?",
      llm_config: localLlm(
        "You are the friendly receptionist of a small business, answering the phone. Keep every answer short: one or two sentences, as people speak on the phone. Answer questions about opening hours and services only if you know the answer from these instructions; otherwise offer to take a message with the caller's name, number and reason. When the caller has nothing more, say goodbye and end the call.",
        [END_CALL],
      ),
      stt_config: ENGLISH_STT,
      tts_config: ENGLISH_TTS,
      speech_config: { turn_taking: turnTaking, silence: silence("en"), end_call_message: "Goodbye, have a nice day." },
      analysis_plan: messageAnalysis("en"),
      max_duration_seconds: 600,
      recording_enabled: false,
    },
  },
  {
    id: "receptionist-nl",
    name: "Receptionist (Nederlands)",
    description: "Neemt de telefoon op voor uw bedrijf, beantwoordt veelgestelde vragen en noteert anders een bericht.",
    language: "nl",
    required_models: DUTCH_MODELS,
    assistant: {
      name: "Receptionist",
      first_message: "Goedendag, fijn dat u belt. Waarmee kan ik u helpen?",
      llm_config: localLlm(
        "Je bent de vriendelijke receptionist van een klein bedrijf en neemt de telefoon op. Antwoord altijd in het Nederlands en kort: één of twee zinnen, zoals mensen aan de telefoon praten. Beantwoord vragen over openingstijden en diensten alleen als je het antwoord uit deze instructies weet; bied anders aan een bericht te noteren met naam, telefoonnummer en reden. Als de beller niets meer heeft, neem je afscheid en beëindig je het gesprek.",
        [END_CALL],
      ),
      stt_config: DUTCH_STT,
      tts_config: DUTCH_TTS,
      speech_config: {
        turn_taking: turnTaking,
        silence: silence("nl"),
        end_call_message: "Tot ziens, nog een fijne dag.",
      },
      analysis_plan: messageAnalysis("nl"),
      max_duration_seconds: 600,
      recording_enabled: false,
    },
  },
  {
    id: "appointment-reminder-en",
    name: "Appointment reminder",
    description:
      "Calls customers to remind them of an appointment and asks them to confirm; leaves a short message on voicemail.",
    language: "en",
    required_models: ENGLISH_MODELS,
    assistant: {
      name: "Appointment reminder",
      first_message: "Hello, this is a reminder call about your upcoming appointment. Is this a good moment?",
      llm_config: localLlm(
        "You call customers on behalf of a small business to remind them of their appointment. The call's metadata may give the customer's name and the appointment time; never invent them. Ask the customer to confirm, or to say they want to reschedule, and note which. Keep it short and polite, then say goodbye and end the call.",
        [END_CALL],
      ),
      stt_config: ENGLISH_STT,
      tts_config: ENGLISH_TTS,
      voicemail_detection: true,
      voicemail_message:
        "Hello, this is a reminder of your upcoming appointment. Please call us back if you need to reschedule. Goodbye.",
      speech_config: {
        turn_taking: turnTaking,
        silence: silence("en"),
        end_call_message: "Thank you, goodbye.",
      },
      analysis_plan: {
        structured_data_plan: {
          enabled: true,
          schema: {
            type: "object",
            properties: {
              outcome: { type: "string", enum: ["confirmed", "reschedule", "cancelled", "no_answer"] },
              note: { type: "string" },
            },
            required: ["outcome"],
          },
          messages: [
            {
              role: "system",
              content:
                "Say whether the customer confirmed the appointment, wants to reschedule, cancelled, or could not be reached, with any note they gave.",
            },
          ],
        },
      },
      max_duration_seconds: 300,
      recording_enabled: false,
    },
  },
  {
    id: "appointment-reminder-nl",
    name: "Afspraakherinnering (Nederlands)",
    description:
      "Belt klanten om hen aan een afspraak te herinneren en vraagt om bevestiging; spreekt een kort bericht in op de voicemail.",
    language: "nl",
    required_models: DUTCH_MODELS,
    assistant: {
      name: "Afspraakherinnering",
      first_message: "Goedendag, ik bel om u te herinneren aan uw afspraak. Komt het nu uit?",
      llm_config: localLlm(
        "Je belt klanten namens een klein bedrijf om hen aan hun afspraak te herinneren. De metadata van het gesprek kan de naam van de klant en het tijdstip van de afspraak geven; verzin die nooit. Vraag de klant de afspraak te bevestigen of te zeggen dat hij wil verzetten, en onthoud welke van de twee. Antwoord in het Nederlands, kort en beleefd, neem dan afscheid en beëindig het gesprek.",
        [END_CALL],
      ),
      stt_config: DUTCH_STT,
      tts_config: DUTCH_TTS,
      voicemail_detection: true,
      voicemail_message:
        "Goedendag, dit is een herinnering aan uw afspraak. Belt u ons terug als u de afspraak wilt verzetten. Tot ziens.",
      speech_config: {
        turn_taking: turnTaking,
        silence: silence("nl"),
        end_call_message: "Dank u wel, tot ziens.",
      },
      analysis_plan: {
        structured_data_plan: {
          enabled: true,
          schema: {
            type: "object",
            properties: {
              outcome: { type: "string", enum: ["confirmed", "reschedule", "cancelled", "no_answer"] },
              note: { type: "string" },
            },
            required: ["outcome"],
          },
          messages: [
            {
              role: "system",
              content:
                "Zeg of de klant de afspraak bevestigde, wil verzetten, annuleerde of niet bereikt werd, met een eventuele opmerking.",
            },
          ],
        },
      },
      max_duration_seconds: 300,
      recording_enabled: false,
    },
  },
  {
    id: "after-hours-en",
    name: "After-hours message taker",
    description: "Answers when you are closed: tells callers when you are open and takes a message for a call back.",
    language: "en",
    required_models: ENGLISH_MODELS,
    assistant: {
      name: "After-hours messages",
      first_message:
        "Hello, you have reached us outside opening hours. I can take a message and we will call you back. What is your name?",
      llm_config: localLlm(
        "You answer the phone for a small business while it is closed. Politely take a message: the caller's name, the number to call back, and what it is about, and ask whether it is urgent. Repeat the number back to check it. Do not promise a time for the call back. Then thank the caller, say goodbye and end the call.",
        [END_CALL],
      ),
      stt_config: ENGLISH_STT,
      tts_config: ENGLISH_TTS,
      speech_config: { turn_taking: turnTaking, silence: silence("en"), end_call_message: "Thank you, goodbye." },
      analysis_plan: messageAnalysis("en"),
      max_duration_seconds: 300,
      recording_enabled: false,
    },
  },
  {
    id: "after-hours-nl",
    name: "Berichten buiten openingstijden (Nederlands)",
    description: "Neemt op als u gesloten bent: vertelt wanneer u open bent en noteert een bericht om terug te bellen.",
    language: "nl",
    required_models: DUTCH_MODELS,
    assistant: {
      name: "Berichten buiten openingstijden",
      first_message:
        "Goedendag, u belt buiten onze openingstijden. Ik noteer graag een bericht, dan bellen wij u terug. Wat is uw naam?",
      llm_config: localLlm(
        "Je neemt de telefoon op voor een klein bedrijf terwijl het gesloten is. Noteer beleefd een bericht: de naam van de beller, het nummer om terug te bellen, waar het over gaat, en vraag of het dringend is. Herhaal het nummer ter controle. Beloof geen tijdstip voor het terugbellen. Antwoord in het Nederlands. Bedank de beller, neem afscheid en beëindig het gesprek.",
        [END_CALL],
      ),
      stt_config: DUTCH_STT,
      tts_config: DUTCH_TTS,
      speech_config: { turn_taking: turnTaking, silence: silence("nl"), end_call_message: "Dank u wel, tot ziens." },
      analysis_plan: messageAnalysis("nl"),
      max_duration_seconds: 300,
      recording_enabled: false,
    },
  },
];
