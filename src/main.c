/* main.c - the fundgate command line (placeholder until the foundation lands). */
#include <stdio.h>

int main(void)
{
    puts("fundgate " FG_VERSION);
    return 0;
}
