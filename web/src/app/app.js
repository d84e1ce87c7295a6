export function start(root) {
  root.textContent = 'Postern';
}
