/** Generated container names in Docker's adjective_surname style. */
import { randomIndex as randomInt } from '../sys/random';

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful',
  'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'condescending',
  'confident', 'cool', 'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager',
  'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive',
  'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great',
  'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent',
  'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest',
  'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic',
  'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'recursing',
  'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange',
  'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant',
  'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];

const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'benz',
  'bhabha', 'blackwell', 'bohr', 'booth', 'boyd', 'brahmagupta', 'brattain', 'burnell', 'cannon', 'carson',
  'cerf', 'chandrasekhar', 'chaplygin', 'clarke', 'cohen', 'colden', 'cori', 'curie', 'darwin', 'davinci',
  'dijkstra', 'dirac', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi',
  'feynman', 'franklin', 'gagarin', 'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking',
  'heisenberg', 'hertz', 'hodgkin', 'hopper', 'hypatia', 'jackson', 'jang', 'johnson', 'kalam', 'kepler',
  'khayyam', 'knuth', 'kowalevski', 'lalande', 'lamarr', 'leakey', 'leavitt', 'lovelace', 'lumiere',
  'mahavira', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'mirzakhani', 'morse', 'napier',
  'newton', 'nobel', 'noether', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy',
  'raman', 'ramanujan', 'ride', 'ritchie', 'rosalind', 'sammet', 'shannon', 'shaw', 'shockley', 'sinoussi',
  'snyder', 'spence', 'stonebraker', 'swanson', 'swartz', 'tesla', 'thompson', 'torvalds', 'turing',
  'varahamihira', 'visvesvaraya', 'volhard', 'wescoff', 'wiles', 'williams', 'wilson', 'wing', 'wozniak',
  'wright', 'yalow', 'yonath',
];

export function generateName(retry = 0): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  // As Docker: a retry after a collision gets a digit, making further collisions unlikely.
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}

/** Docker's rule for user-chosen names. */
export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
